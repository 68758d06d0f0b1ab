#!/usr/bin/python3
"""Parses iCalendar files with Python's icalendar (Debian python3-icalendar)
and prints what it read as JSON, for tests/conformance/ical.test.mjs:

  [{"ok": true, "method", "name", "timezone", "refresh",
    "events": [{"uid", "sequence", "status", "summary", "location",
                "description", "url", "geo", "organizer", "cn",
                "start", "end"  (Unix milliseconds; null when floating),
                "floating"}],
    "zone_errors": [...]},   one per file; {"ok": false, "error"} when the
   file does not parse or a component has errors]

Times with a TZID are resolved by icalendar through pytz (its own copy of
the tz database), not through the VTIMEZONE in the file; the VTIMEZONE's
observances are checked separately against Python's zoneinfo (the
system's tz database): each transition must be where zoneinfo has it,
with the same offsets before and after."""
import datetime
import json
import sys
import zoneinfo

from icalendar import Calendar


def ms(v):
    if not isinstance(v, datetime.datetime):
        return None
    if v.tzinfo is None:
        return None
    return int(v.timestamp() * 1000)


def zone_errors(cal):
    errors = []
    for tz in cal.walk('VTIMEZONE'):
        tzid = str(tz.get('TZID'))
        try:
            zi = zoneinfo.ZoneInfo(tzid)
        except Exception as e:  # an unknown zone is an error too
            errors.append(f'{tzid}: {e}')
            continue
        for ob in tz.subcomponents:
            start = ob.decoded('DTSTART')
            off_from = ob.decoded('TZOFFSETFROM')
            off_to = ob.decoded('TZOFFSETTO')
            if start.tzinfo is not None:
                errors.append(f'{tzid}: DTSTART {start} is not local time')
                continue
            instant = (start - off_from).replace(tzinfo=datetime.timezone.utc)
            after = instant.astimezone(zi).utcoffset()
            before = (instant - datetime.timedelta(seconds=1)).astimezone(zi).utcoffset()
            if after != off_to:
                errors.append(f'{tzid}: {start} to {off_to}, zoneinfo has {after}')
            if off_from != off_to and before != off_from:
                errors.append(f'{tzid}: {start} from {off_from}, zoneinfo has {before}')
            kind = ob.name
            is_dst = instant.astimezone(zi).dst() not in (None, datetime.timedelta(0))
            if (kind == 'DAYLIGHT') != is_dst:
                errors.append(f'{tzid}: {start} is {kind}, zoneinfo says dst={is_dst}')
    return errors


def read(data):
    cal = Calendar.from_ical(data)
    for c in cal.walk():
        if getattr(c, 'errors', None):
            raise ValueError(f'{c.name}: {c.errors}')
    events = []
    for ev in cal.walk('VEVENT'):
        start = ev.decoded('DTSTART')
        end = ev.decoded('DTEND') if 'DTEND' in ev else None
        geo = ev.get('GEO')
        org = ev.get('ORGANIZER')
        events.append({
            'uid': str(ev.get('UID')),
            'sequence': int(ev.get('SEQUENCE', 0)),
            'status': str(ev.get('STATUS', '')),
            'summary': str(ev.get('SUMMARY', '')),
            'location': str(ev['LOCATION']) if 'LOCATION' in ev else None,
            'description': str(ev['DESCRIPTION']) if 'DESCRIPTION' in ev else None,
            'url': str(ev['URL']) if 'URL' in ev else None,
            'geo': [geo.latitude, geo.longitude] if geo is not None else None,
            'organizer': str(org) if org is not None else None,
            'cn': str(org.params.get('CN')) if org is not None and 'CN' in org.params else None,
            'start': ms(start),
            'end': ms(end),
            'floating': isinstance(start, datetime.datetime) and start.tzinfo is None,
        })
    refresh = cal.get('REFRESH-INTERVAL')
    return {
        'ok': True,
        'method': str(cal['METHOD']) if 'METHOD' in cal else None,
        'name': str(cal['X-WR-CALNAME']) if 'X-WR-CALNAME' in cal else None,
        'timezone': str(cal['X-WR-TIMEZONE']) if 'X-WR-TIMEZONE' in cal else None,
        'refresh': str(refresh.to_ical().decode()) if refresh is not None else None,
        'events': events,
        'zone_errors': zone_errors(cal),
    }


def main():
    out = []
    for path in sys.argv[1:]:
        with open(path, 'rb') as f:
            data = f.read()
        try:
            out.append(read(data))
        except Exception as e:
            out.append({'ok': False, 'error': f'{type(e).__name__}: {e}'})
    json.dump(out, sys.stdout)


main()
