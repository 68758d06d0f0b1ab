/* libyaml, opened when a file is first read that yamlfast.c does not
 * take (lazy.h): flow collections, anchors, quoting it does not know,
 * and every broken file, whose error libyaml's parser words. A site in
 * the block YAML its files are written in never loads it. */
#include "lazy.h"

#include <stddef.h>

#include <yaml.h>

#define YAML_FUNCS(X)                                                          \
  X(yaml_parser_initialize)                                                    \
  X(yaml_parser_delete)                                                        \
  X(yaml_parser_set_input_string)                                              \
  X(yaml_parser_set_encoding)                                                  \
  X(yaml_parser_parse)                                                         \
  X(yaml_event_delete)

LAZY_DEFINE(lazy_yaml_spec, CRIER_SONAME_YAML,
            "needed to read YAML that crier's own reader does not take",
            YAML_FUNCS);
#define FN(f) LAZY_FN(LAZY_YAML, f)

int yaml_parser_initialize(yaml_parser_t *parser)
{
  return FN(yaml_parser_initialize)(parser);
}

void yaml_parser_delete(yaml_parser_t *parser)
{
  FN(yaml_parser_delete)(parser);
}

void yaml_parser_set_input_string(yaml_parser_t *parser,
                                  const unsigned char *input, size_t size)
{
  FN(yaml_parser_set_input_string)(parser, input, size);
}

void yaml_parser_set_encoding(yaml_parser_t *parser, yaml_encoding_t encoding)
{
  FN(yaml_parser_set_encoding)(parser, encoding);
}

int yaml_parser_parse(yaml_parser_t *parser, yaml_event_t *event)
{
  return FN(yaml_parser_parse)(parser, event);
}

void yaml_event_delete(yaml_event_t *event)
{
  FN(yaml_event_delete)(event);
}
