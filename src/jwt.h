#ifndef CRIER_JWT_H
#define CRIER_JWT_H
/*
 * JSON Web Tokens signed RS256 (OpenSSL libcrypto), for Meetup's JWT
 * bearer flow: header {"alg":"RS256","typ":"JWT","kid":key_id}, claims
 * {"sub":member_id,"iss":client_key,"aud":"api.meetup.com","iat","exp"}.
 */
#include <time.h>

#include "buf.h"
#include "err.h"

/* Appends the signed token to out. pem is an RSA private key in PEM form
 * (a secret). Fails with EX_CONFIG when the key cannot be used. */
int jwt_sign_rs256(const char *pem, const char *key_id, const char *subject,
                   const char *issuer, const char *audience, time_t iat,
                   long lifetime, struct buf *out, struct err *e);

#endif
