#!/usr/bin/env python3
"""Independent reference model of the accrue billing engine (contract v1).

Written by a second engineer only from the specification (docs/contract.md,
docs/billing-rules.md, docs/billing-rules-detail.md, copies of ../shared) and the
worked scenarios, without reading the C++ engine: an independent oracle for
tests/differential_test.sh. Standard library only; exact arithmetic (ints, Fraction).
Where the specification is silent, the choice made is in AMBIGUITIES.md.

CLI:  python3 model.py STREAM.jsonl RESULTS_OUT.jsonl STATES_OUT.json
"""
import sys
import json
import re
from decimal import Decimal
from fractions import Fraction
from datetime import datetime, timedelta, timezone, date
from functools import lru_cache
from zoneinfo import ZoneInfo

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)

# ---------------------------------------------------------------- money (R-M1..R-M3, D-3)
_EXP = {}
for _c in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split():
    _EXP[_c] = 0
for _c in "BHD IQD JOD KWD LYD OMR TND".split():
    _EXP[_c] = 3
for _c in "CLF UYW".split():
    _EXP[_c] = 4
for _c in ("AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD "
           "BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP "
           "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR "
           "JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU "
           "MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR "
           "RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
           "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW "
           "ZWG").split():
    _EXP[_c] = 2

I128_MIN = -(2 ** 127)
I128_MAX = 2 ** 127 - 1


def fits(v):  # R-M3 checked 128-bit
    return I128_MIN <= v <= I128_MAX


def fmt_amount(minor, exp):  # R-M2: exactly the currency's exponent
    neg = minor < 0
    a = -minor if neg else minor
    if exp == 0:
        s = str(a)
    else:
        s = str(a).rjust(exp + 1, "0")
        s = s[:-exp] + "." + s[-exp:]
    return ("-" + s) if neg else s


def rnd(fr):  # R-M5 round half-even, once per line (Fraction.__round__ is half-even)
    return round(Fraction(fr))


def fmt_exact(fr):  # D-14 exact decimal, no trailing zeros, no exponent
    fr = Fraction(fr)
    neg = fr < 0
    if neg:
        fr = -fr
    n, d = fr.numerator, fr.denominator
    k = 0
    dd = d
    while dd % 10 == 0:
        dd //= 10
        k += 1
    while dd % 2 == 0:
        dd //= 2
        k += 1
    while dd % 5 == 0:
        dd //= 5
        k += 1
    # dd must be 1 for decimal inputs
    scaled = n * (10 ** k) // d
    s = str(scaled)
    if k:
        s = s.rjust(k + 1, "0")
        ip, fp = s[:-k], s[-k:].rstrip("0")
        s = ip + ("." + fp if fp else "")
    return ("-" + s) if neg and s != "0" else s


# ---------------------------------------------------------------- calendar helpers
def days_from_civil(y, m, d):
    y -= 1 if m <= 2 else 0
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z):
    z += 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return (y + (1 if m <= 2 else 0), m, d)


def is_leap(y):
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def dim(y, m):
    return [31, 29 if is_leap(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def add_months(anchor_day, months):
    """R-C3: keep the anchor's day-of-month, clamped to the month's last day."""
    y, m, d = civil_from_days(anchor_day)
    t = y * 12 + (m - 1) + months
    ny, nm = t // 12, t % 12 + 1
    return days_from_civil(ny, nm, min(d, dim(ny, nm)))


def fmt_day(day):
    y, m, d = civil_from_days(day)
    return "%04d-%02d-%02d" % (y, m, d)


US_PER_DAY = 86400 * 1000000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
INF = 1 << 200


def fmt_instant(us):  # D-13
    day, rem = divmod(us, US_PER_DAY)
    secs, micro = divmod(rem, 1000000)
    y, m, d = civil_from_days(day)
    s = "%04d-%02d-%02dT%02d:%02d:%02d" % (y, m, d, secs // 3600, secs // 60 % 60, secs % 60)
    if micro:
        s += ".%06d" % micro
    return s + "Z"


_INSTANT_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})")
INSTANT_MIN = days_from_civil(1, 1, 2) * US_PER_DAY
INSTANT_MAX = days_from_civil(9999, 12, 31) * US_PER_DAY


def parse_instant(v):
    """D-12: RFC 3339 instant -> UTC microseconds, or None."""
    if not isinstance(v, str):
        return None
    mt = _INSTANT_RE.fullmatch(v)
    if not mt:
        return None
    y, mo, d, hh, mi, ss = (int(mt.group(i)) for i in range(1, 7))
    frac = mt.group(7)
    off = mt.group(8)
    if not (1 <= mo <= 12) or not (1 <= d <= dim(y, mo)):
        return None
    if hh > 23 or mi > 59 or ss > 59:
        return None
    micro = 0
    if frac is not None:
        digits = frac[1:]
        if len(digits) > 6:
            return None
        micro = int(digits.ljust(6, "0"))
    offs = 0
    if off not in ("Z", "z"):
        oh, om = int(off[1:3]), int(off[4:6])
        if oh > 23 or om > 59:
            return None
        offs = (oh * 3600 + om * 60) * (1 if off[0] == "+" else -1)
    us = (days_from_civil(y, mo, d) * 86400 + hh * 3600 + mi * 60 + ss - offs) * 1000000 + micro
    if not (INSTANT_MIN <= us < INSTANT_MAX):
        return None
    return us


# ---------------------------------------------------------------- time zones (R-C2, D-15, D-32)
def _load_zone_names():
    names = set()
    try:
        with open("/usr/share/zoneinfo/tzdata.zi", encoding="utf-8") as f:
            for line in f:
                p = line.split()
                if not p:
                    continue
                if p[0] == "Z" and len(p) > 1:
                    names.add(p[1])
                elif p[0] == "L" and len(p) > 2:
                    names.add(p[2])
    except OSError:
        import zoneinfo
        names = set(zoneinfo.available_timezones())
    names.add("UTC")
    return names


ZONE_NAMES = _load_zone_names()


@lru_cache(maxsize=None)
def get_zone(name):
    return ZoneInfo(name)


@lru_cache(maxsize=200000)
def local_day(tzname, us):
    """Local calendar date (day number) of instant us in zone."""
    if tzname == "UTC":
        return us // US_PER_DAY
    z = get_zone(tzname)
    try:
        dt = (EPOCH + timedelta(microseconds=us)).astimezone(z)
        return dt.date().toordinal() - 719163
    except (OverflowError, ValueError):
        return us // US_PER_DAY


def _wall_us(dt_local):
    """naive wall clock of an aware local datetime, as 'microseconds' on a local time line"""
    return ((dt_local.date().toordinal() - 719163) * 86400 + dt_local.hour * 3600
            + dt_local.minute * 60 + dt_local.second) * 1000000 + dt_local.microsecond


@lru_cache(maxsize=200000)
def local_midnight(tzname, day):
    """R-C2/D-32: instant (UTC us) of local midnight of `day`; ambiguous -> first instant;
    nonexistent -> first instant after the gap (transition instant).  Dates outside
    years 1..9999 are never due (D-31)."""
    y, m, d = civil_from_days(day)
    if y > 9999:
        return INF
    if y < 1:
        return -INF
    if tzname == "UTC":
        return day * US_PER_DAY
    z = get_zone(tzname)
    target = day * US_PER_DAY  # wall-clock midnight on the local time line
    try:
        dt0 = datetime(y, m, d, tzinfo=z, fold=0)
        u0 = int((dt0 - EPOCH) // timedelta(microseconds=1))
        back = (EPOCH + timedelta(microseconds=u0)).astimezone(z)
        if _wall_us(back) == target:
            return u0
        dt1 = datetime(y, m, d, tzinfo=z, fold=1)
        u1 = int((dt1 - EPOCH) // timedelta(microseconds=1))
    except (OverflowError, ValueError):
        return target
    lo, hi = min(u0, u1), max(u0, u1)
    # monotone in the gap window: find minimal t with wall(t) >= target (seconds resolution)
    lo_s, hi_s = lo // 1000000 - 1, hi // 1000000 + 1
    while lo_s < hi_s:
        mid = (lo_s + hi_s) // 2
        w = _wall_us((EPOCH + timedelta(seconds=mid)).astimezone(z))
        if w >= target:
            hi_s = mid
        else:
            lo_s = mid + 1
    return lo_s * 1000000


# ---------------------------------------------------------------- JSON (D-5, D-6)
class _BadJSON(Exception):
    pass


def _pairs(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise _BadJSON("duplicate key")  # D-6
        d[k] = v
    return d


def _const(c):
    raise _BadJSON("constant " + c)  # D-6 NaN / Infinity


_SURR = re.compile("[\ud800-\udfff]")


def _no_surrogates(v):
    """An escaped lone surrogate (\\ud800) is not Unicode text: treated like non-UTF-8
    input (D-6).  See AMBIGUITIES.md."""
    if isinstance(v, str):
        if _SURR.search(v):
            raise _BadJSON("lone surrogate")
    elif isinstance(v, dict):
        for k, x in v.items():
            _no_surrogates(k)
            _no_surrogates(x)
    elif isinstance(v, list):
        for x in v:
            _no_surrogates(x)


# The specification sets no nesting limit; accrue's parser takes up to 512 levels
# (engine/json.h kMaxJsonDepth, decision 0003) and refuses deeper input as
# invalid_json. The model mirrors that implementation limit (AMBIGUITIES.md #16).
MAX_JSON_DEPTH = 512


def _depth(v):
    """Nesting depth of containers, iteratively (deep input must not recurse)."""
    deepest, stack = 0, [(v, 1)]
    while stack:
        x, d = stack.pop()
        if isinstance(x, (dict, list)):
            deepest = max(deepest, d)
            stack.extend((y, d + 1) for y in (x.values() if isinstance(x, dict) else x))
    return deepest


def parse_json_line(raw):
    s = raw.decode("utf-8")  # D-6 not UTF-8 -> invalid_json (UnicodeDecodeError)
    v = json.loads(s, object_pairs_hook=_pairs, parse_float=Decimal, parse_constant=_const)
    if _depth(v) > MAX_JSON_DEPTH:
        raise ValueError("nesting deeper than %d" % MAX_JSON_DEPTH)
    _no_surrogates(v)
    return v


def canon(v):
    """D-5 identity: ints by value, non-integer numbers by value but never equal to an int."""
    if isinstance(v, dict):
        return {k: canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [canon(x) for x in v]
    if isinstance(v, bool):
        return ("b", v)
    if isinstance(v, int):
        return ("i", v)
    if isinstance(v, Decimal):
        return ("d", v)
    if isinstance(v, str):
        return ("s", v)
    return ("n",)


# ---------------------------------------------------------------- rejections
class Reject(Exception):
    def __init__(self, code, message, field=None):
        super().__init__(code)
        self.code, self.message, self.field = code, message, field


def rej(code, message, field=None):
    raise Reject(code, message, field)


# ---------------------------------------------------------------- field validation (D-1 step 7)
ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")       # D-9
INV_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,84}")   # D-9 invoice ids
DEC_RE = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")            # D-10


def v_id(f, v, rx=ID_RE):
    if not isinstance(v, str) or not rx.fullmatch(v):
        rej("invalid_field", '"%s" is not a valid id' % f, f)
    return v


def v_dec_syntax(f, v):
    """D-10 syntax; returns (neg, intdigits, fracdigits)."""
    if not isinstance(v, str):
        rej("invalid_field", '"%s" must be a decimal string' % f, f)
    mt = DEC_RE.fullmatch(v)
    if not mt:
        rej("invalid_field", '"%s" must be a decimal string' % f, f)
    return (mt.group(1) == "-", mt.group(2), mt.group(3) or "")


def dec_to_fraction(p):
    neg, ip, fp = p
    v = Fraction(int(ip + fp), 10 ** len(fp))
    return -v if neg else v


def v_exact_dec(f, v, report_field=None):
    """D-11 exact decimal (unit price, usage quantity)."""
    rf = report_field or f
    if not isinstance(v, str) or not DEC_RE.fullmatch(v):
        rej("invalid_field", '"%s" must be a decimal string' % rf, rf)
    p = v_dec_syntax(rf, v)
    if len(p[2]) > 12 or len(p[1].lstrip("0")) > 24:
        rej("invalid_field", '"%s" exceeds 24 integer or 12 fraction digits' % rf, rf)
    return p


def amount_minor(f, p, exp, positive):
    """D-1 step 8/11 sub-order: precision, range, sign (D-10)."""
    neg, ip, fp = p
    if len(fp) > exp:
        rej("amount_precision", '"%s" has more than %d fraction digits' % (f, exp), f)
    v = int(ip + fp.ljust(exp, "0"))
    if neg:
        v = -v
    if not fits(v):
        rej("amount_overflow", '"%s" does not fit 128-bit minor units' % f, f)
    if positive and v <= 0:
        rej("invalid_field", '"%s" must be > 0' % f, f)
    if not positive and v < 0:
        rej("invalid_field", '"%s" must be >= 0' % f, f)
    return v


def v_instant(f, v):
    us = parse_instant(v)
    if us is None:
        rej("invalid_field", '"%s" is not an RFC 3339 instant' % f, f)
    return us


def v_currency(f, v):
    if not isinstance(v, str):
        rej("invalid_field", '"%s" must be a currency code' % f, f)
    if v not in _EXP:
        rej("unknown_currency", 'unknown currency "%s"' % v, f)
    return v


def v_timezone(f, v):
    if not isinstance(v, str) or v not in ZONE_NAMES:
        rej("invalid_field", '"%s" is not an IANA time zone' % f, f)
    return v


def v_text(f, v):  # contract: external_ref and reason are 1-255 characters
    if not isinstance(v, str) or not (1 <= len(v) <= 255):
        rej("invalid_field", '"%s" must be a non-empty string' % f, f)
    return v


def is_json_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def v_sub_qty(f, v):  # D-16
    if not is_json_int(v) or not (1 <= v <= 10 ** 24 - 1):
        rej("invalid_field", '"%s" must be an integer >= 1' % f, f)
    return v


def v_interval_count(f, v):  # D-31
    if not is_json_int(v) or v < 1:
        rej("invalid_field", '"%s" must be an integer >= 1' % f, f)
    return v


def v_enum(values):
    def chk(f, v):
        if not isinstance(v, str) or v not in values:
            rej("invalid_field", '"%s" must be one of %s' % (f, ", ".join(values)), f)
        return v
    return chk


def v_meters(f, v):
    """D-18: list of {meter, unit_price}; unknown key, missing key, values; field `meters`."""
    if not isinstance(v, list):
        rej("invalid_field", '"meters" must be a list', "meters")
    out = []
    seen = set()
    for e in v:
        if not isinstance(e, dict):
            rej("invalid_field", "a meter must be an object", "meters")
        for k in e:
            if k not in ("meter", "unit_price"):
                rej("invalid_field", 'unknown meter field "%s"' % k, "meters")
        for k in ("meter", "unit_price"):
            if k not in e:
                rej("missing_field", 'a meter needs "%s"' % k, "meters")
        name = e["meter"]
        if not isinstance(name, str) or not ID_RE.fullmatch(name):
            rej("invalid_field", "meter is not a valid id", "meters")
        p = v_exact_dec("unit_price", e["unit_price"], report_field="meters")
        price = dec_to_fraction(p)
        if price < 0:
            rej("invalid_field", "unit_price must be >= 0", "meters")
        if name in seen:
            rej("invalid_field", 'meter "%s" repeated' % name, "meters")
        seen.add(name)
        out.append((name, price))
    return out


# command -> (fields in contract order: (name, validator)), required fields)
V_ID = v_id
V_INV = lambda f, v: v_id(f, v, INV_ID_RE)
SPECS = {
    "open_account": ([("account_id", V_ID), ("currency", v_currency), ("timezone", v_timezone)],
                     ["account_id", "currency"]),
    "publish_plan": ([("plan_id", V_ID), ("currency", v_currency),
                      ("interval", v_enum(["month", "year"])),
                      ("interval_count", v_interval_count), ("amount", v_dec_syntax),
                      ("meters", v_meters)],
                     ["plan_id", "currency", "interval", "amount"]),
    "subscribe": ([("subscription_id", V_ID), ("account_id", V_ID), ("plan_id", V_ID),
                   ("quantity", v_sub_qty), ("start", v_instant)],
                  ["subscription_id", "account_id", "plan_id", "start"]),
    "change_subscription": ([("subscription_id", V_ID), ("plan_id", V_ID),
                             ("quantity", v_sub_qty), ("effective", v_instant)],
                            ["subscription_id", "effective"]),
    "cancel_subscription": ([("subscription_id", V_ID), ("effective", v_instant),
                             ("mode", v_enum(["end_of_period", "immediate"]))],
                            ["subscription_id", "effective"]),
    "record_usage": ([("usage_id", V_ID), ("subscription_id", V_ID), ("meter", V_ID),
                      ("quantity", v_exact_dec), ("at", v_instant)],
                     ["usage_id", "subscription_id", "meter", "quantity", "at"]),
    "run_billing": ([("as_of", v_instant), ("account_id", V_ID)], ["as_of"]),
    "record_payment": ([("payment_id", V_ID), ("account_id", V_ID), ("amount", v_dec_syntax),
                        ("currency", v_currency), ("received_at", v_instant),
                        ("external_ref", v_text)],
                       ["payment_id", "account_id", "amount", "currency", "received_at",
                        "external_ref"]),
    "issue_credit_note": ([("credit_note_id", V_ID), ("invoice_id", V_INV),
                           ("amount", v_dec_syntax), ("reason", v_text)],
                          ["credit_note_id", "invoice_id", "amount", "reason"]),
    "refund_payment": ([("refund_id", V_ID), ("payment_id", V_ID), ("amount", v_dec_syntax)],
                       ["refund_id", "payment_id", "amount"]),
    "reverse_payment": ([("payment_id", V_ID), ("reversed_at", v_instant), ("reason", v_text)],
                        ["payment_id", "reversed_at", "reason"]),
    "void_invoice": ([("invoice_id", V_INV)], ["invoice_id"]),
    "mark_uncollectible": ([("invoice_id", V_INV)], ["invoice_id"]),
    "close_account": ([("account_id", V_ID)], ["account_id"]),
}

KIND_RANK = {"recurring": 0, "proration_credit": 1, "proration_charge": 2, "usage": 3,
             "payment_reversal": 4}


# ---------------------------------------------------------------- domain objects
class Plan:
    def __init__(self, pid, currency, interval, count, amount, meters):
        self.id, self.currency, self.interval, self.count = pid, currency, interval, count
        self.amount = amount  # minor units
        self.meters = dict(meters)  # name -> Fraction unit price (major units)
        self.months = (12 if interval == "year" else 1) * count  # D-30

    def norm(self):  # D-18
        return (self.currency, self.interval, self.count, self.amount,
                frozenset(self.meters.items()))


class Sub:
    def __init__(self, sid, acct, plan, qty, anchor):
        self.id, self.acct = sid, acct
        self.months = plan.months
        self.anchor = anchor
        self.timeline = [(anchor, plan.id, qty)]  # (effective day, plan_id, qty)
        self.status = "active"
        self.end = None  # end day (exclusive) once canceled
        self.last_inv = -1  # latest period index whose recurring charge was invoiced

    def ps(self, k):  # R-C3 period k start, always from the anchor
        return add_months(self.anchor, k * self.months)

    def period_of(self, day):
        a_y, a_m, _ = civil_from_days(self.anchor)
        y, m, _ = civil_from_days(day)
        k = ((y * 12 + m) - (a_y * 12 + a_m)) // self.months
        while k > 0 and self.ps(k) > day:
            k -= 1
        while self.ps(k + 1) <= day:
            k += 1
        return k

    def in_force(self, day):
        cur = self.timeline[0]
        for e in self.timeline:
            if e[0] <= day:
                cur = e
            else:
                break
        return (cur[1], cur[2])

    def segments(self, a, b):
        """D-19 maximal runs of one (plan, quantity) within [a, b)."""
        cur = self.in_force(a)
        start = a
        segs = []
        for (d, _p, _q) in self.timeline:
            if a < d < b:
                v = self.in_force(d)
                if v != cur:
                    segs.append((start, d, cur))
                    start, cur = d, v
        segs.append((start, b, cur))
        return segs


class Invoice:
    def __init__(self, acct, number, issued_at, lines):
        self.acct = acct
        self.number = number
        self.id = "%s-%d" % (acct.id, number)
        self.issued_at = issued_at
        self.lines = lines  # list of dicts (internal), see line_json
        self.total = sum(l["amount"] for l in lines)
        self.status = "open"
        self.amount_due = 0
        self.credited = 0  # credit notes so far
        self.touched = False  # anything applied (payment, credit)


class Payment:
    def __init__(self, pid, acct, amount, ext, received_at):
        self.id, self.acct, self.amount, self.ext = pid, acct, amount, ext
        self.received_at = received_at
        self.refunded = 0
        self.applied = []
        self.reversed = False


class Account:
    def __init__(self, aid, currency, tz):
        self.id, self.currency, self.tz = aid, currency, tz
        self.exp = _EXP[currency]
        self.status = "open"
        self.credit = 0
        self.subs = []
        self.invoices = []
        self.payments = []
        self.credit_notes = []
        self.refunds = []
        self.pending = []  # dicts: kind, sub, start, end, qty, amount, seq
        self.usage = []  # usage records of this account
        self.last_as_of = None  # D-25

    def amount_due(self):  # D-35
        return sum(i.amount_due for i in self.invoices if i.status == "open")


class Usage:
    def __init__(self, uid, sub, meter, qty, at, k, plan_id, seq):
        self.id, self.sub, self.meter, self.qty, self.at = uid, sub, meter, qty, at
        self.k, self.plan_id, self.seq = k, plan_id, seq
        self.billed = False


# ---------------------------------------------------------------- the engine
class Engine:
    def __init__(self):
        self.accounts = {}
        self.acct_order = []
        self.plans = {}
        self.subs = {}
        self.usage = {}
        self.payments = {}
        self.ext_refs = set()
        self.credit_notes = set()
        self.refunds = set()
        self.invoices = {}
        self.idem = {}  # key -> (canon, result)
        self.seq = 0

    def next_seq(self):
        self.seq += 1
        return self.seq

    # ------------------------------------------------------------ entry point (D-1..D-8)
    def handle(self, raw):
        if len(raw) > 1 << 20:  # contract: a `post` line is at most 1 MiB
            return {"idempotency_key": None, "status": "rejected",
                    "error": {"code": "invalid_json", "message": "the line exceeds 1 MiB"}}
        try:
            obj = parse_json_line(raw)
        except (ValueError, _BadJSON, UnicodeDecodeError, RecursionError):
            obj = _BadJSON
        if not isinstance(obj, dict):  # D-1 step 1, D-6
            return {"idempotency_key": None, "status": "rejected",
                    "error": {"code": "invalid_json", "message": "not a JSON object"}}
        # D-1 step 2, D-4: not remembered
        if "idempotency_key" not in obj:
            return {"idempotency_key": None, "status": "rejected",
                    "error": {"code": "missing_field", "message": '"idempotency_key" is required',
                              "field": "idempotency_key"}}
        key = obj["idempotency_key"]
        if not (isinstance(key, str) and 1 <= len(key) <= 255
                and all(0x20 <= ord(ch) <= 0x7E for ch in key)):
            return {"idempotency_key": key if isinstance(key, str) else None,
                    "status": "rejected",
                    "error": {"code": "invalid_field",
                              "message": '"idempotency_key" must be 1-255 printable ASCII characters',
                              "field": "idempotency_key"}}
        c = canon(obj)
        # D-1 step 3, D-5, D-8
        if key in self.idem:
            c0, r0 = self.idem[key]
            if c0 == c:
                r = dict(r0)
                r["replayed"] = True
                return r
            return {"idempotency_key": key, "status": "rejected",
                    "error": {"code": "idempotency_key_reused",
                              "message": "this key was used with a different command",
                              "field": "idempotency_key"}}
        try:
            extra = self.execute(obj)
            res = {"idempotency_key": key, "status": "accepted"}
            replayed = extra.pop("_replayed", False)
            res.update(extra)
            if replayed:
                res["replayed"] = True
        except Reject as e:
            err = {"code": e.code, "message": e.message}
            if e.field is not None:
                err["field"] = e.field
            res = {"idempotency_key": key, "status": "rejected", "error": err}
        self.idem[key] = (c, res)
        return res

    def execute(self, obj):
        # D-1 step 4
        if "command" not in obj:
            rej("missing_field", '"command" is required', "command")
        cmd = obj["command"]
        if not isinstance(cmd, str) or cmd not in SPECS:
            rej("unknown_command", "unknown command %r" % (cmd,), "command")
        fields, required = SPECS[cmd]
        names = [f for f, _ in fields]
        # step 5: unknown field, first in object order
        for k in obj:
            if k not in ("command", "idempotency_key") and k not in names:
                rej("invalid_field", 'unknown field "%s"' % k, k)
        # step 6: missing required, contract order
        for f in names:
            if f in required and f not in obj:
                rej("missing_field", '"%s" is required' % f, f)
        if cmd == "change_subscription" and "plan_id" not in obj and "quantity" not in obj:
            rej("missing_field", 'give "plan_id" and/or "quantity"', "plan_id")  # D-30
        # step 7: well-formedness in field order (D-2 null -> invalid_field via validators)
        vals = {}
        for f, fn in fields:
            if f in obj:
                vals[f] = fn(f, obj[f])
        return getattr(self, "c_" + cmd)(vals)

    # ------------------------------------------------------------ helpers
    def acct_of_sub(self, s):
        return self.accounts[s.acct]

    def need_open(self, a, field):  # D-43
        if a.status == "closed":
            rej("invalid_state", "account is closed", field)

    def net_credit(self, a):
        """D-36: apply credit to open invoices in ascending number."""
        for inv in a.invoices:
            if a.credit <= 0:
                break
            if inv.status == "open" and inv.amount_due > 0:
                x = min(a.credit, inv.amount_due)
                inv.amount_due -= x
                a.credit -= x
                inv.touched = True
                if inv.amount_due == 0:
                    inv.status = "paid"

    def check_timeline(self, s, a, M):
        """D-21 (field effective)."""
        if M < s.anchor:
            rej("invalid_state", "effective before the subscription starts", "effective")
        if M < s.timeline[-1][0]:
            rej("invalid_state", "effective before the latest change", "effective")
        k = s.period_of(M)
        if k < s.last_inv:
            rej("invalid_state", "effective in an invoiced period", "effective")
        return k

    # ------------------------------------------------------------ commands
    def c_open_account(self, v):
        aid = v["account_id"]
        if aid in self.accounts:  # D-43: even with an identical body
            rej("already_exists", 'account "%s" exists' % aid, "account_id")
        a = Account(aid, v["currency"], v.get("timezone", "UTC"))
        self.accounts[aid] = a
        self.acct_order.append(aid)
        return {}

    def c_publish_plan(self, v):
        exp = _EXP[v["currency"]]
        amt = amount_minor("amount", v["amount"], exp, positive=False)  # step 8
        plan = Plan(v["plan_id"], v["currency"], v["interval"], v.get("interval_count", 1),
                    amt, v.get("meters", []))
        old = self.plans.get(plan.id)
        if old is not None:  # step 9, D-18
            if old.norm() == plan.norm():
                return {"_replayed": True}
            rej("already_exists", 'plan "%s" exists with another body' % plan.id, "plan_id")
        self.plans[plan.id] = plan
        return {}

    def c_subscribe(self, v):
        sid = v["subscription_id"]
        if sid in self.subs:
            rej("already_exists", 'subscription "%s" exists' % sid, "subscription_id")
        a = self.accounts.get(v["account_id"])
        if a is None:
            rej("not_found", 'account "%s" not found' % v["account_id"], "account_id")
        p = self.plans.get(v["plan_id"])
        if p is None:
            rej("not_found", 'plan "%s" not found' % v["plan_id"], "plan_id")
        self.need_open(a, "account_id")
        if p.currency != a.currency:
            rej("currency_mismatch", "plan is %s, account is %s" % (p.currency, a.currency),
                "plan_id")
        anchor = local_day(a.tz, v["start"])  # R-C3
        s = Sub(sid, a.id, p, v.get("quantity", 1), anchor)
        self.subs[sid] = s
        a.subs.append(s)
        return {}

    def proration(self, a, s, k, M, plan_id, qty):
        """R-S5/R-S6: round(p x q x days(M, E) / P), unsigned."""
        S, E = s.ps(k), s.ps(k + 1)
        p = self.plans[plan_id]
        return rnd(Fraction(p.amount * qty * (E - M), E - S)), E

    def c_change_subscription(self, v):
        s = self.subs.get(v["subscription_id"])
        if s is None:
            rej("not_found", 'subscription "%s" not found' % v["subscription_id"],
                "subscription_id")
        newp = None
        if "plan_id" in v:
            newp = self.plans.get(v["plan_id"])
            if newp is None:
                rej("not_found", 'plan "%s" not found' % v["plan_id"], "plan_id")
        a = self.acct_of_sub(s)
        self.need_open(a, "subscription_id")
        if s.status == "canceled":
            rej("invalid_state", "subscription is canceled", "subscription_id")
        if newp is not None:
            if newp.months != s.months:
                rej("interval_mismatch", "plan has another billing interval", "plan_id")
            if newp.currency != a.currency:
                rej("currency_mismatch", "plan has another currency", "plan_id")
        M = local_day(a.tz, v["effective"])
        k = self.check_timeline(s, a, M)
        old_plan, old_qty = s.in_force(M)
        new_plan = newp.id if newp is not None else old_plan  # D-23
        new_qty = v.get("quantity", old_qty)
        items = []
        if k == s.last_inv:  # R-S5: the period containing M was invoiced
            cr, E = self.proration(a, s, k, M, old_plan, old_qty)
            ch, _ = self.proration(a, s, k, M, new_plan, new_qty)
            if not fits(-cr) or not fits(ch):  # D-27
                rej("amount_overflow", "proration does not fit 128-bit minor units")
            items.append({"kind": "proration_credit", "sub": s.id, "start": M, "end": E,
                          "qty": old_qty, "amount": -cr})
            items.append({"kind": "proration_charge", "sub": s.id, "start": M, "end": E,
                          "qty": new_qty, "amount": ch})
        for it in items:
            it["seq"] = self.next_seq()
            a.pending.append(it)
        s.timeline.append((M, new_plan, new_qty))
        return {}

    def c_cancel_subscription(self, v):
        s = self.subs.get(v["subscription_id"])
        if s is None:
            rej("not_found", 'subscription "%s" not found' % v["subscription_id"],
                "subscription_id")
        a = self.acct_of_sub(s)
        self.need_open(a, "subscription_id")
        if s.status == "canceled":
            rej("invalid_state", "subscription is already canceled", "subscription_id")
        M = local_day(a.tz, v["effective"])
        k = self.check_timeline(s, a, M)
        mode = v.get("mode", "end_of_period")
        item = None
        if mode == "end_of_period":  # D-22
            end = s.ps(k + 1)
        else:
            end = M
            if k == s.last_inv:  # R-S6 pending credit with plan in force at M
                pl, q = s.in_force(M)
                cr, E = self.proration(a, s, k, M, pl, q)
                if not fits(-cr):
                    rej("amount_overflow", "proration does not fit 128-bit minor units")
                item = {"kind": "proration_credit", "sub": s.id, "start": M, "end": E,
                        "qty": q, "amount": -cr}
        if item is not None:
            item["seq"] = self.next_seq()
            a.pending.append(item)
        s.status = "canceled"
        s.end = end
        return {}

    def c_record_usage(self, v):
        uid = v["usage_id"]
        qty = dec_to_fraction(v["quantity"])
        if qty <= 0:  # step 8, D-17
            rej("invalid_field", '"quantity" must be > 0', "quantity")
        old = self.usage.get(uid)
        if old is not None:  # step 9, D-47
            if (old.sub == v["subscription_id"] and old.meter == v["meter"]
                    and old.qty == qty and old.at == v["at"]):
                return {"_replayed": True}
            rej("already_exists", 'usage "%s" exists with another body' % uid, "usage_id")
        s = self.subs.get(v["subscription_id"])
        if s is None:
            rej("not_found", 'subscription "%s" not found' % v["subscription_id"],
                "subscription_id")
        a = self.acct_of_sub(s)
        self.need_open(a, "subscription_id")
        day = local_day(a.tz, v["at"])
        if day < s.anchor:  # D-26
            rej("invalid_state", "usage before the subscription starts", "at")
        if s.status == "canceled" and s.end is not None and day >= s.end:
            rej("invalid_state", "usage after the subscription ends", "at")
        pl, _q = s.in_force(day)
        if v["meter"] not in self.plans[pl].meters:
            rej("not_found", 'plan "%s" has no meter "%s"' % (pl, v["meter"]), "meter")
        u = Usage(uid, s.id, v["meter"], qty, v["at"], s.period_of(day), pl, self.next_seq())
        self.usage[uid] = u
        a.usage.append(u)
        return {}

    # ------------------------------------------------------------ billing (R-I1, R-S3, R-S4, R-S7)
    def recurring_lines(self, s, k):
        """Lines for period k of s, or None when nothing is chargeable (D-22)."""
        S, E = s.ps(k), s.ps(k + 1)
        end = E if s.end is None else min(E, s.end)
        if end <= S:
            return None
        P = E - S
        segs = s.segments(S, end)
        lines = []
        if len(segs) == 1 and segs[0][0] == S and segs[0][1] == E:
            pl, q = segs[0][2]
            lines.append({"kind": "recurring", "sub": s.id, "start": S, "end": E, "qty": q,
                          "amount": self.plans[pl].amount * q})  # R-S4 whole period
        else:
            for (x, y, (pl, q)) in segs:
                if y <= x:
                    continue
                lines.append({"kind": "recurring", "sub": s.id, "start": x, "end": y, "qty": q,
                              "amount": rnd(Fraction(self.plans[pl].amount * q * (y - x), P))})
        return lines

    def plan_bill(self, a, as_of):
        """Compute (lines, marks) for account a at as_of, without mutating."""
        lines = []
        sub_marks = {}
        for s in a.subs:
            k = s.last_inv + 1
            while True:
                S = s.ps(k)
                if local_midnight(a.tz, S) > as_of:  # R-S3, D-28
                    break
                rl = self.recurring_lines(s, k)
                if rl is None:
                    break
                for l in rl:
                    l["seq"] = 0
                lines.extend(rl)
                sub_marks[s.id] = k
                k += 1
        for it in a.pending:  # D-24
            lines.append(dict(it))
        groups = {}
        used = []
        for u in a.usage:  # R-S7, D-26
            if u.billed:
                continue
            s = self.subs[u.sub]
            E = s.ps(u.k + 1)
            if local_midnight(a.tz, E) > as_of:
                continue
            used.append(u)
            g = (u.sub, u.k, u.meter, u.plan_id)
            if g not in groups:
                groups[g] = [Fraction(0), u.seq]
            groups[g][0] += u.qty
        for (sid, k, meter, pl), (q, sq) in groups.items():
            s = self.subs[sid]
            price = self.plans[pl].meters[meter]
            amt = rnd(q * price * (10 ** a.exp))
            lines.append({"kind": "usage", "sub": sid, "meter": meter, "plan": pl,
                          "start": s.ps(k), "end": s.ps(k + 1), "qty": q, "amount": amt,
                          "seq": sq})
        # R-I2, D-33 ordering
        lines.sort(key=lambda l: (l["sub"], l["start"], KIND_RANK[l["kind"]], l["end"],
                                  l.get("meter", ""), l.get("plan", ""), l["seq"]))
        return lines, sub_marks, used

    def bill_account(self, a, as_of):
        """Returns ('skip'|'none'|'overflow'|Invoice-id, apply-fn)."""
        if a.status == "closed":  # D-43
            return "none", None
        if a.last_as_of is not None and as_of < a.last_as_of:  # R-I1, D-25
            return "none", None
        lines, marks, used = self.plan_bill(a, as_of)
        if not lines:
            def apply_none():
                a.last_as_of = as_of
            return "none", apply_none
        # D-27 overflow checks
        total = 0
        for l in lines:
            if not fits(l["amount"]):
                return "overflow", None
            total += l["amount"]
        if not fits(total):
            return "overflow", None
        if total > 0 and not fits(a.amount_due() + total):
            return "overflow", None
        if total < 0 and not fits(a.credit - total):
            return "overflow", None

        def apply():
            a.last_as_of = as_of
            inv = Invoice(a, len(a.invoices) + 1, as_of, lines)
            self.issue(a, inv)
            for sid, k in marks.items():
                self.subs[sid].last_inv = k
            a.pending = []
            for u in used:
                u.billed = True
            return inv.id
        return "invoice", apply

    def issue(self, a, inv):
        """D-35 status, R-I4 negative invoices, D-36 netting."""
        a.invoices.append(inv)
        self.invoices[inv.id] = inv
        if inv.total < 0:
            inv.status, inv.amount_due = "paid", 0
            a.credit += -inv.total
        elif inv.total == 0:
            inv.status, inv.amount_due = "paid", 0
        else:
            inv.status, inv.amount_due = "open", inv.total
        self.net_credit(a)

    def c_run_billing(self, v):
        as_of = v["as_of"]
        if "account_id" in v:
            a = self.accounts.get(v["account_id"])
            if a is None:
                rej("not_found", 'account "%s" not found' % v["account_id"], "account_id")
            kind, fn = self.bill_account(a, as_of)
            if kind == "overflow":  # D-27 with account_id: rejected
                rej("amount_overflow", "invoice does not fit 128-bit minor units")
            invs = []
            if kind == "invoice":
                invs.append(fn())
            elif fn is not None:
                fn()
            return {"invoices": invs, "skipped": []}
        invs, skipped = [], []
        for aid in self.acct_order:
            a = self.accounts[aid]
            kind, fn = self.bill_account(a, as_of)
            if kind == "overflow":
                skipped.append({"account_id": aid, "code": "amount_overflow"})
            elif kind == "invoice":
                invs.append(fn())
            elif fn is not None:
                fn()
        return {"invoices": invs, "skipped": skipped}

    # ------------------------------------------------------------ money movements
    def c_record_payment(self, v):
        exp = _EXP[v["currency"]]
        amt = amount_minor("amount", v["amount"], exp, positive=True)  # step 8
        pid = v["payment_id"]
        if pid in self.payments:  # step 9, D-39
            rej("already_exists", 'payment "%s" exists' % pid, "payment_id")
        if v["external_ref"] in self.ext_refs:
            rej("already_exists", "external_ref already used", "external_ref")
        a = self.accounts.get(v["account_id"])
        if a is None:
            rej("not_found", 'account "%s" not found' % v["account_id"], "account_id")
        self.need_open(a, "account_id")
        if v["currency"] != a.currency:
            rej("currency_mismatch", "account is %s" % a.currency, "currency")
        # D-27: credit after application
        rest = amt
        plan_apply = []
        for inv in a.invoices:
            if rest <= 0:
                break
            if inv.status == "open" and inv.amount_due > 0:
                x = min(rest, inv.amount_due)
                plan_apply.append((inv, x))
                rest -= x
        if rest > 0 and not fits(a.credit + rest):
            rej("amount_overflow", "credit balance does not fit 128-bit minor units")
        p = Payment(pid, a.id, amt, v["external_ref"], v["received_at"])
        for inv, x in plan_apply:  # R-P1
            inv.amount_due -= x
            inv.touched = True
            if inv.amount_due == 0:
                inv.status = "paid"
            p.applied.append((inv.id, x))
        a.credit += rest
        self.payments[pid] = p
        self.ext_refs.add(p.ext)
        a.payments.append(p)
        self.net_credit(a)
        return {}

    def c_issue_credit_note(self, v):
        cid = v["credit_note_id"]
        if cid in self.credit_notes:
            rej("already_exists", 'credit note "%s" exists' % cid, "credit_note_id")
        inv = self.invoices.get(v["invoice_id"])
        if inv is None:
            rej("not_found", 'invoice "%s" not found' % v["invoice_id"], "invoice_id")
        a = inv.acct
        amt = amount_minor("amount", v["amount"], a.exp, positive=True)  # step 11
        self.need_open(a, "invoice_id")
        if inv.status not in ("open", "paid"):  # D-40
            rej("invalid_state", "invoice is %s" % inv.status, "invoice_id")
        if amt > inv.total - inv.credited:
            rej("exceeds_creditable", "amount exceeds total less credit notes", "amount")
        if inv.status == "open":
            applied = min(amt, inv.amount_due)
        else:
            applied = 0
        excess = amt - applied
        if excess > 0 and not fits(a.credit + excess):  # D-27
            rej("amount_overflow", "credit balance does not fit 128-bit minor units")
        inv.credited += amt
        if applied:
            inv.amount_due -= applied
            inv.touched = True
            if inv.amount_due == 0:
                inv.status = "paid"
        a.credit += excess
        self.credit_notes.add(cid)
        a.credit_notes.append((cid, inv.id, amt, v["reason"]))
        self.net_credit(a)
        return {}

    def c_refund_payment(self, v):
        rid = v["refund_id"]
        if rid in self.refunds:
            rej("already_exists", 'refund "%s" exists' % rid, "refund_id")
        p = self.payments.get(v["payment_id"])
        if p is None:
            rej("not_found", 'payment "%s" not found' % v["payment_id"], "payment_id")
        a = self.accounts[p.acct]
        amt = amount_minor("amount", v["amount"], a.exp, positive=True)  # step 11
        self.need_open(a, "payment_id")
        if p.reversed:  # D-41
            rej("invalid_state", "payment was reversed", "payment_id")
        if amt > p.amount - p.refunded:
            rej("exceeds_refundable", "amount exceeds the payment less refunds", "amount")
        if amt > a.credit:
            rej("insufficient_credit", "amount exceeds the account's credit", "amount")
        p.refunded += amt
        a.credit -= amt
        self.refunds.add(rid)
        a.refunds.append((rid, p.id, amt))
        return {}

    def c_reverse_payment(self, v):
        p = self.payments.get(v["payment_id"])
        if p is None:
            rej("not_found", 'payment "%s" not found' % v["payment_id"], "payment_id")
        a = self.accounts[p.acct]
        self.need_open(a, "payment_id")
        amt = p.amount - p.refunded
        if p.reversed:  # D-42
            rej("invalid_state", "payment already reversed", "payment_id")
        if amt <= 0:
            rej("invalid_state", "nothing left to reverse", "payment_id")
        if v["reversed_at"] < p.received_at:
            rej("invalid_state", "reversed_at before the payment was received", "reversed_at")
        if not fits(a.amount_due() + amt):
            rej("amount_overflow", "amount due does not fit 128-bit minor units")
        line = {"kind": "payment_reversal", "payment_id": p.id, "amount": amt}
        inv = Invoice(a, len(a.invoices) + 1, v["reversed_at"], [line])
        p.reversed = True
        self.issue(a, inv)
        return {}

    def c_void_invoice(self, v):
        inv = self.invoices.get(v["invoice_id"])
        if inv is None:
            rej("not_found", 'invoice "%s" not found' % v["invoice_id"], "invoice_id")
        self.need_open(inv.acct, "invoice_id")
        if (inv.status != "open" or inv.amount_due != inv.total or inv.credited != 0
                or inv.touched or inv.total <= 0):  # D-37
            rej("invalid_state", "only an open invoice with nothing applied can be voided",
                "invoice_id")
        inv.status = "void"
        return {}

    def c_mark_uncollectible(self, v):
        inv = self.invoices.get(v["invoice_id"])
        if inv is None:
            rej("not_found", 'invoice "%s" not found' % v["invoice_id"], "invoice_id")
        self.need_open(inv.acct, "invoice_id")
        if inv.status != "open":  # D-38
            rej("invalid_state", "only an open invoice can be marked uncollectible",
                "invoice_id")
        inv.status = "uncollectible"
        return {}

    def left_to_invoice(self, a):
        if a.pending:
            return True
        if any(not u.billed for u in a.usage):
            return True
        for s in a.subs:
            if s.status == "canceled":
                k = s.last_inv + 1
                if s.end is not None and s.ps(k) < s.end:
                    return True
        return False

    def c_close_account(self, v):
        a = self.accounts.get(v["account_id"])
        if a is None:
            rej("not_found", 'account "%s" not found' % v["account_id"], "account_id")
        self.need_open(a, "account_id")
        if any(s.status == "active" for s in a.subs):  # D-44
            rej("invalid_state", "account has an active subscription", "account_id")
        if a.amount_due() != 0:
            rej("invalid_state", "account has an amount due", "account_id")
        if a.credit != 0:
            rej("invalid_state", "account has credit", "account_id")
        if self.left_to_invoice(a):
            rej("invalid_state", "account has items not yet invoiced", "account_id")
        a.status = "closed"
        return {}

    # ------------------------------------------------------------ output (contract, D-34, D-45)
    def line_json(self, a, l):
        e = a.exp
        if l["kind"] == "payment_reversal":
            return {"kind": "payment_reversal", "payment_id": l["payment_id"], "quantity": "1",
                    "amount": fmt_amount(l["amount"], e)}
        period = {"start": fmt_day(l["start"]), "end": fmt_day(l["end"])}
        if l["kind"] == "usage":
            return {"kind": "usage", "subscription_id": l["sub"], "meter": l["meter"],
                    "period": period, "quantity": fmt_exact(l["qty"]),
                    "amount": fmt_amount(l["amount"], e)}
        return {"kind": l["kind"], "subscription_id": l["sub"], "period": period,
                "quantity": str(l["qty"]), "amount": fmt_amount(l["amount"], e)}

    def state(self, aid):
        a = self.accounts[aid]
        e = a.exp
        subs = []
        for s in a.subs:
            k = max(s.last_inv, 0)  # D-29
            _d, pl, q = s.timeline[-1]
            subs.append({"subscription_id": s.id, "plan_id": pl, "quantity": q,
                         "status": s.status,
                         "current_period": {"start": fmt_day(s.ps(k)),
                                            "end": fmt_day(s.ps(k + 1))}})
        invs = []
        for inv in a.invoices:
            invs.append({"invoice_id": inv.id, "number": inv.number,
                         "issued_at": fmt_instant(inv.issued_at), "status": inv.status,
                         "total": fmt_amount(inv.total, e),
                         "amount_due": fmt_amount(inv.amount_due, e),
                         "lines": [self.line_json(a, l) for l in inv.lines]})
        pays = [{"payment_id": p.id, "amount": fmt_amount(p.amount, e),
                 "refunded": fmt_amount(p.refunded, e), "external_ref": p.ext,
                 "applied": [{"invoice_id": i, "amount": fmt_amount(x, e)} for i, x in p.applied]}
                for p in a.payments]
        return {"account_id": a.id, "currency": a.currency, "timezone": a.tz,
                "status": a.status,
                "balance": {"amount_due": fmt_amount(a.amount_due(), e),
                            "credit": fmt_amount(a.credit, e)},
                "subscriptions": subs, "invoices": invs, "payments": pays,
                "credit_notes": [{"credit_note_id": c, "invoice_id": i,
                                  "amount": fmt_amount(x, e), "reason": r}
                                 for (c, i, x, r) in a.credit_notes],
                "refunds": [{"refund_id": r, "payment_id": p, "amount": fmt_amount(x, e)}
                            for (r, p, x) in a.refunds]}


def dumps(o):
    return json.dumps(o, ensure_ascii=False, separators=(",", ":"))


def main(argv):
    if len(argv) != 4:
        sys.stderr.write("usage: model.py STREAM.jsonl RESULTS_OUT.jsonl STATES_OUT.json\n")
        return 2
    eng = Engine()
    with open(argv[1], "rb") as f:
        data = f.read()
    out = []
    for raw in data.split(b"\n"):
        if raw.endswith(b"\r"):  # D-7 CRLF
            raw = raw[:-1]
        if raw.strip(b" \t\r\n") == b"":  # D-7 blank lines
            continue
        out.append(dumps(eng.handle(raw)))
    with open(argv[2], "w", encoding="utf-8") as f:
        for l in out:
            f.write(l + "\n")
    states = {aid: eng.state(aid) for aid in eng.acct_order}
    with open(argv[3], "w", encoding="utf-8") as f:
        f.write(dumps(states) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
