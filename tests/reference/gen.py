#!/usr/bin/env python3
"""gen.py SEED [--commands N] > stream.jsonl

Random but realistic accrue command streams, deterministic per SEED (default N 3000).
Modelled on scenarios/90_random_seed101: plans per currency, accounts in many zones,
daily bill runs on/around local midnights with outages and catch-up runs, usage-heavy
traffic, payments, credit notes, refunds, reversals, void/uncollectible, closes,
~7% replays / reused keys / invalid commands. Adds edge cases: currencies with
0/2/3/4 decimals, odd-offset and DST zones, month-end and Feb-29 anchors, yearly and
multi-month plans, changes/cancels at period boundaries and at bill-run instants,
late usage, tiny/huge unit prices and quantities (overflow), replays of every kind.
The generator keeps a rough model (estimated invoice numbers etc.) only to make
references plausible; it never needs to predict results exactly.
"""
import sys, json, random, argparse, calendar
from datetime import datetime, date, timedelta, timezone
from decimal import Decimal, getcontext
getcontext().prec = 100
from zoneinfo import ZoneInfo

UTC = timezone.utc

CURRENCIES = {  # code: exponent
    'USD': 2, 'EUR': 2, 'GBP': 2, 'CHF': 2, 'CAD': 2, 'AUD': 2, 'NZD': 2, 'INR': 2, 'NPR': 2,
    'JPY': 0, 'KRW': 0, 'CLP': 0, 'ISK': 0, 'VND': 0,
    'BHD': 3, 'KWD': 3, 'JOD': 3, 'TND': 3, 'OMR': 3,
    'CLF': 4, 'UYW': 4,
}
CUR_WEIGHTS = {'USD': 20, 'EUR': 8, 'GBP': 5, 'CHF': 2, 'CAD': 2, 'AUD': 2, 'NZD': 1, 'INR': 1, 'NPR': 1,
               'JPY': 4, 'KRW': 2, 'CLP': 1, 'ISK': 1, 'VND': 1,
               'BHD': 2, 'KWD': 2, 'JOD': 1, 'TND': 1, 'OMR': 1, 'CLF': 1, 'UYW': 1}
BAD_CURRENCIES = ['EURO', 'usd', 'HRK', 'XAU', 'XXX', 'US', 'CUC', 'ZWL', 'XTS']
TIMEZONES = ['UTC', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu',
             'Pacific/Chatham', 'America/St_Johns', 'America/Santiago', 'America/Havana', 'Asia/Beirut',
             'Africa/Cairo', 'Pacific/Apia', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'Asia/Tehran',
             'Australia/Sydney', 'Asia/Tokyo', 'Asia/Kolkata', 'Europe/Berlin', 'America/Los_Angeles',
             'Pacific/Auckland', 'America/Sao_Paulo', 'US/Eastern', 'Etc/GMT+5', 'Etc/GMT-14',
             'Australia/Eucla', 'Asia/Chatham' if False else 'Pacific/Marquesas', 'America/Asuncion',
             'Europe/Dublin', 'Asia/Gaza', 'America/Godthab', 'Antarctica/Troll']
BAD_TIMEZONES = ['Mars/Olympus', 'localtime', 'posixrules', '+05:00', 'america/new_york', 'EST5EDT ', 'posix/UTC', '']
METERS = ['api_calls', 'storage_gb', 'seats_hours', 'events', 'gpu.sec', 'egress:gb']


class Gen:
    def __init__(self, seed, n):
        self.r = random.Random(seed)
        self.seed = seed
        self.n = n
        self.out = []          # emitted lines
        self.hist = []         # (key, obj) of well-formed commands emitted (for replays)
        self.kn = 0
        self.plans = {}        # id -> dict(currency, months, amount(Decimal), meters{name:Decimal})
        self.plans_by_cur = {}
        self.accounts = {}     # id -> dict
        self.subs = {}         # id -> dict
        self.payments = {}     # id -> dict(account, amount)
        self.usages = []      # (usage_id, obj)
        self.ids = {'acct': 0, 'sub': 0, 'u': 0, 'p': 0, 'cn': 0, 'r': 0, 'pl': 0}
        self.mid_cache = {}
        self.last_run = None   # last as_of used in an all-accounts run
        self.avoid_known = False
        self.edge_rate = 0.04
        r = self.r
        # a per-seed subset of currencies, always one with each exponent 0, 2, 3 (and often 4)
        by = {}
        for c, e in CURRENCIES.items():
            by.setdefault(e, []).append(c)
        curs = ['USD', r.choice(by[0]), r.choice(by[3])] + r.sample(by[2], 3)
        if r.random() < 0.6:
            curs.append(r.choice(by[4]))
        curs += r.sample(list(CURRENCIES), 2)
        self.curs = list(dict.fromkeys(curs))

    # ------------------------------------------------------------ helpers
    def key(self):
        self.kn += 1
        return f"k{self.seed}-{self.kn}" if self.r.random() < 0.97 else self.r.choice(
            [f"key with spaces {self.kn}", f"K_{self.kn}~!@#$%^&*()", f"{self.kn}"])

    def nid(self, kind, fmt):
        self.ids[kind] += 1
        return fmt.format(self.ids[kind])

    def emit_obj(self, obj, remember=True, style=None):
        r = self.r
        if style is None:
            style = 'compact' if r.random() < 0.8 else 'spaced'
        if style == 'compact':
            s = json.dumps(obj, separators=(',', ':'), ensure_ascii=False)
        else:
            s = json.dumps(obj, ensure_ascii=False)
        self.out.append(s)
        if remember and isinstance(obj.get('idempotency_key'), str):
            self.hist.append(obj)

    def emit_raw(self, s):
        self.out.append(s)

    def full(self):
        return len(self.out) >= self.n

    def fmt_amount(self, value, exp, exact=True):
        """Decimal major units -> string with exactly exp decimals (or fewer when allowed)."""
        q = Decimal(1).scaleb(-exp)
        v = value.quantize(q)
        s = f"{v:.{exp}f}"
        if not exact and exp > 0 and self.r.random() < 0.15 and s.endswith('0' * exp):
            s = s.split('.')[0]          # "20" for 20.00 is valid (D-10)
        return s

    def local_midnight(self, tzname, d):
        """First UTC instant whose local wall time in tzname is >= d 00:00 (R-C2, D-32)."""
        k = (tzname, d)
        if k in self.mid_cache:
            return self.mid_cache[k]
        tz = ZoneInfo(tzname)
        target = datetime(d.year, d.month, d.day)
        t = datetime(d.year, d.month, d.day, tzinfo=UTC) - timedelta(hours=16)
        step = timedelta(minutes=15)
        while (t.astimezone(tz).replace(tzinfo=None)) < target:
            t += step
        t2 = t - step
        while t2 < t and t2.astimezone(tz).replace(tzinfo=None) < target:
            t2 += timedelta(minutes=1)
        self.mid_cache[k] = t2
        return t2

    def local_date(self, tzname, inst):
        return inst.astimezone(ZoneInfo(tzname)).date()

    def fmt_inst(self, inst, tzname=None, plain=False):
        """RFC 3339 in various legal spellings."""
        r = self.r
        if plain or r.random() < 0.72:
            s = inst.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S')
            if inst.microsecond:
                s += f".{inst.microsecond:06d}"
            return s + 'Z'
        choice = r.random()
        if choice < 0.45 and tzname:
            loc = inst.astimezone(ZoneInfo(tzname))
        elif choice < 0.8:
            off = r.choice([0, 60, -300, 330, 345, 765, -210, -301, 840, -720, 525])
            loc = inst.astimezone(timezone(timedelta(minutes=off)))
        else:
            loc = inst.astimezone(UTC)
        s = loc.strftime('%Y-%m-%dT%H:%M:%S')
        if loc.microsecond:
            s += f".{loc.microsecond:06d}"
        elif r.random() < 0.05:
            s += '.' + '0' * r.randint(1, 6)
        off = loc.utcoffset()
        mins = int(off.total_seconds() // 60)
        if mins == 0:
            s += r.choice(['Z', 'Z', 'z', '+00:00', '-00:00'])
        else:
            sign = '+' if mins > 0 else '-'
            mins = abs(mins)
            s += f"{sign}{mins // 60:02d}:{mins % 60:02d}"
        if r.random() < 0.03:
            s = s[:10] + 't' + s[11:]
        return s

    @staticmethod
    def add_months(d, m):
        y, mo = divmod(d.month - 1 + m, 12)
        y += d.year
        mo += 1
        if y > 9999:
            return None
        return date(y, mo, min(d.day, calendar.monthrange(y, mo)[1]))

    def period_bounds(self, sub, k):
        n = self.plans[sub['plan']]['months']
        a = self.add_months(sub['anchor'], k * n)
        b = self.add_months(sub['anchor'], (k + 1) * n)
        return a, b

    def period_index(self, sub, d):
        n = self.plans[sub['plan']]['months']
        if n > 1200:
            return 0
        k = max(0, ((d.year - sub['anchor'].year) * 12 + d.month - sub['anchor'].month) // n - 1)
        while True:
            a, b = self.period_bounds(sub, k + 1)
            if a is None or a > d:
                return k
            k += 1

    # ------------------------------------------------------------ amounts
    def plan_price(self, exp, big=False):
        r = self.r
        if big:
            return Decimal(r.choice(['99999999999999999999', '170141183460469231731687303715884105727',
                                     '1' + '0' * 30, '12345678901234567890.12']))
        base = r.choice([0, 1, 5, 9.99, 10, 15, 19.5, 29, 49, 79.5, 99, 149, 299, 999, 0.01, 0.07])
        if exp == 0:
            base = r.choice([0, 1, 99, 500, 999, 1500, 2900, 9900, 29900, 99900])
        return Decimal(str(base))

    def unit_price(self):
        r = self.r
        x = r.random()
        if x < 0.05:
            return r.choice(['0', '0.000000000001', '0.000000000005', '0.999999999999'])
        if x < 0.08:
            return r.choice(['123456789012345678901234', '999999999999999999999999.999999999999', '5000000000'])
        return r.choice(['0.0004', '0.0003', '0.00025', '0.015', '0.012', '0.125', '0.01', '0.008', '0.5',
                         '0.35', '1.5', '1.2', '12.5', '0.135', '0.0015', '2', '0.000123456789'])

    # ------------------------------------------------------------ setup
    def gen_plans(self):
        r = self.r
        curs = self.curs
        for cur in curs:
            exp = CURRENCIES[cur]
            lc = cur.lower()
            specs = [('basic', 'month', None), ('pro', 'month', 1), ('team', 'month', None),
                     ('quarterly', 'month', 3), ('semi', 'month', 6), ('bimonthly', 'month', 2),
                     ('annual', 'year', None), ('biennial', 'year', 2), ('free', 'month', None),
                     ('twelve', 'month', 12)]
            if r.random() < 0.3:
                specs.append(('millennium', 'year', r.choice([1000, 8000, 20000] + ([] if self.avoid_known else [2 ** 40, 10 ** 30]))))
            if r.random() < 0.25:
                specs.append(('whale', 'month', None))
            for name, interval, ic in specs:
                pid = f"{lc}_{name}"
                price = Decimal(0) if name == 'free' else self.plan_price(exp, big=(name == 'whale'))
                if interval == 'year':
                    price = price * 10
                nm = r.choice([0, 1, 1, 2, 3]) if name != 'free' else 1
                meters = {}
                for m in r.sample(METERS, nm):
                    meters[m] = self.unit_price()
                if name == 'whale':
                    meters = {'api_calls': '999999999999999999999999'}
                obj = {'command': 'publish_plan', 'idempotency_key': self.key(), 'plan_id': pid,
                       'currency': cur, 'interval': interval}
                if ic is not None:
                    obj['interval_count'] = ic
                obj['amount'] = self.fmt_amount(price, exp, exact=False)
                if meters or r.random() < 0.3:
                    obj['meters'] = [{'meter': m, 'unit_price': p} for m, p in meters.items()]
                self.emit_obj(obj)
                months = (12 if interval == 'year' else 1) * (ic or 1)
                self.plans[pid] = {'currency': cur, 'months': months, 'amount': price, 'meters': meters, 'obj': obj}
                self.plans_by_cur.setdefault(cur, []).append(pid)
                # re-publish with normalised-equal body (D-18) / different body
                if r.random() < 0.06:
                    o2 = dict(obj)
                    o2['idempotency_key'] = self.key()
                    if 'meters' in o2:
                        o2['meters'] = list(reversed(o2['meters']))
                    if exp > 0 and r.random() < 0.5:
                        o2['amount'] = o2['amount'] + '0' if '.' in o2['amount'] else o2['amount']
                    if r.random() < 0.3:
                        o2['amount'] = self.fmt_amount(price + 1, exp)
                    self.emit_obj(o2)
                if r.random() < 0.02:
                    self.invalid_publish(cur)

    def invalid_publish(self, cur):
        r = self.r
        exp = CURRENCIES[cur]
        base = {'command': 'publish_plan', 'idempotency_key': self.key(), 'plan_id': f"bad_{self.nid('pl', 'p{}')}",
                'currency': cur, 'interval': 'month', 'amount': self.fmt_amount(Decimal('10'), exp)}
        kind = r.randrange(12)
        if kind == 0: base['amount'] = self.fmt_amount(Decimal('10'), exp) + '1' if exp else '10.5'
        elif kind == 1: base['amount'] = '-5'
        elif kind == 2: base['interval'] = r.choice(['week', 'Month', 'day', 5])
        elif kind == 3: base['interval_count'] = r.choice([0, -1, 1.5, '2', True])
        elif kind == 4: base['meters'] = [{'meter': 'a', 'unit_price': '0.1'}, {'meter': 'a', 'unit_price': '0.2'}]
        elif kind == 5: base['meters'] = [{'meter': 'a', 'price': '0.1'}]
        elif kind == 6: base['meters'] = [{'meter': 'a'}]
        elif kind == 7: base['meters'] = [{'meter': 'a', 'unit_price': '-0.1'}]
        elif kind == 8: base['amount'] = '1' * 40
        elif kind == 9: base['currency'] = r.choice(BAD_CURRENCIES)
        elif kind == 10: base['amount'] = 10
        else: base['meters'] = {'meter': 'a', 'unit_price': '1'}
        self.emit_obj(base)

    def open_account(self, now):
        r = self.r
        aid = self.nid('acct', 'acct-{:05d}') if r.random() < 0.95 else self.nid('acct', r.choice(['A{}', 'x.y:z-{}', '9_{}']))
        cur = r.choices(self.curs, weights=[CUR_WEIGHTS[c] for c in self.curs])[0] if r.random() < 0.98 else r.choice(list(CURRENCIES))
        tz = r.choice(TIMEZONES)
        obj = {'command': 'open_account', 'idempotency_key': self.key(), 'account_id': aid, 'currency': cur}
        if tz != 'UTC' or r.random() < 0.5:
            obj['timezone'] = tz
        self.emit_obj(obj)
        self.accounts[aid] = {'currency': cur, 'tz': tz, 'subs': [], 'closed': False, 'ninv': 0,
                              'last_asof': None, 'pending': False, 'payments': [], 'opened': now,
                              'est_due': Decimal(0)}
        return aid

    # ------------------------------------------------------------ subscriptions
    def pick_start(self, acct, now):
        r = self.r
        tz = acct['tz']
        x = r.random()
        d = self.local_date(tz, now)
        if x < 0.25:
            # month-end anchors
            day = r.choice([28, 29, 30, 31])
            y, m = d.year, d.month
            day = min(day, calendar.monthrange(y, m)[1])
            d = date(y, m, day)
            return self.local_midnight(tz, d) + timedelta(seconds=r.choice([0, 0, 1, 3600 * 13, 86399]))
        if x < 0.35:
            return self.local_midnight(tz, d)           # exactly local midnight
        if x < 0.45:
            return self.local_midnight(tz, d) - timedelta(microseconds=1)  # one microsecond before
        if x < 0.55:
            return now - timedelta(days=r.randint(1, 40))   # backdated start
        return now + timedelta(seconds=r.randint(0, 86399), microseconds=r.choice([0, 0, r.randint(1, 999999)]))

    def subscribe(self, aid, now, plan=None):
        r = self.r
        acct = self.accounts[aid]
        cands = self.plans_by_cur.get(acct['currency'], [])
        if plan is None:
            plan = r.choice(cands) if cands and r.random() < 0.97 else r.choice(list(self.plans))
        sid = self.nid('sub', 'sub-{:06d}')
        start = self.pick_start(acct, now)
        qty = r.choice([1, 1, 1, 1, 2, 3, 5, 10, 25]) if r.random() < 0.98 else r.choice([10 ** 6, 10 ** 24 - 1, 0, -1, '3', 1.0])
        obj = {'command': 'subscribe', 'idempotency_key': self.key(), 'subscription_id': sid, 'account_id': aid,
               'plan_id': plan}
        if qty != 1 or r.random() < 0.5:
            obj['quantity'] = qty
        obj['start'] = self.fmt_inst(start, acct['tz'])
        self.emit_obj(obj)
        ok = (self.plans[plan]['currency'] == acct['currency'] and isinstance(qty, int) and not isinstance(qty, bool)
              and qty >= 1 and not acct['closed'])
        if ok:
            anchor = self.local_date(acct['tz'], start)
            s = {'id': sid, 'account': aid, 'plan': plan, 'qty': qty, 'start': start, 'anchor': anchor,
                 'canceled': False, 'end': None, 'last_change': anchor, 'billed_k': -1, 'usage_periods': {},
                 'history': [(anchor, plan)]}
            self.subs[sid] = s
            acct['subs'].append(sid)
        return sid

    def boundary_instant(self, sub, now):
        """An instant at/near a period boundary of sub (for change/cancel edge cases)."""
        r = self.r
        acct = self.accounts[sub['account']]
        d = self.local_date(acct['tz'], now)
        k = self.period_index(sub, d)
        k = max(0, k + r.choice([0, 0, 1, -1]))
        a, b = self.period_bounds(sub, k)
        if a is None:
            return now
        which = r.choice([a, b or a])
        if which is None:
            return now
        m = self.local_midnight(acct['tz'], which)
        return m + r.choice([timedelta(0), timedelta(0), timedelta(seconds=-1), timedelta(microseconds=1),
                             timedelta(hours=12), timedelta(microseconds=-1)])

    def change(self, sid, now, at_run=None):
        r = self.r
        sub = self.subs[sid]
        acct = self.accounts[sub['account']]
        cur = acct['currency']
        months = self.plans[sub['plan']]['months']
        same = [p for p in self.plans_by_cur.get(cur, []) if self.plans[p]['months'] == months]
        obj = {'command': 'change_subscription', 'idempotency_key': self.key(), 'subscription_id': sid}
        x = r.random()
        if x < 0.75 and same:
            obj['plan_id'] = r.choice(same)
        elif x < 0.85:
            obj['plan_id'] = r.choice(list(self.plans))     # maybe interval/currency mismatch
        elif x < 0.87:
            obj['plan_id'] = 'no-such-plan'
        if 'plan_id' not in obj or r.random() < 0.4:
            obj['quantity'] = r.choice([1, 2, 3, 4, 7, 12, sub['qty']])
        if at_run is not None:
            eff = at_run
        else:
            y = r.random()
            if y < 0.35:
                eff = self.boundary_instant(sub, now)
            elif y < 0.5:
                eff = now + timedelta(days=r.randint(1, 45))   # future dated
            elif y < 0.55:
                eff = now - timedelta(days=r.randint(20, 120))  # probably before an invoiced period
            else:
                eff = now + timedelta(seconds=r.randint(0, 86399))
        obj['effective'] = self.fmt_inst(eff, acct['tz'])
        self.emit_obj(obj)
        if not sub['canceled'] and not acct['closed']:
            md = self.local_date(acct['tz'], eff)
            p = obj.get('plan_id', sub['plan'])
            if p in self.plans and self.plans[p]['months'] == months and self.plans[p]['currency'] == cur and md >= sub['last_change']:
                sub['last_change'] = md
                sub['history'].append((md, p))
                sub['plan'] = p
                sub['qty'] = obj.get('quantity', sub['qty'])
                if self.period_index(sub, md) <= sub['billed_k']:
                    acct['pending'] = True

    def cancel(self, sid, now, at_run=None):
        r = self.r
        sub = self.subs[sid]
        acct = self.accounts[sub['account']]
        mode = r.choice(['end_of_period', 'immediate', 'immediate', None]) if r.random() < 0.97 else r.choice(['now', 'IMMEDIATE', 1])
        if at_run is not None:
            eff = at_run
        elif r.random() < 0.4:
            eff = self.boundary_instant(sub, now)
        else:
            eff = now + timedelta(seconds=r.randint(0, 86399)) + timedelta(days=r.choice([0, 0, 0, 3, 20]))
        obj = {'command': 'cancel_subscription', 'idempotency_key': self.key(), 'subscription_id': sid,
               'effective': self.fmt_inst(eff, acct['tz'])}
        if mode is not None:
            obj['mode'] = mode
        self.emit_obj(obj)
        if not sub['canceled'] and mode in ('end_of_period', 'immediate', None):
            md = self.local_date(acct['tz'], eff)
            if md >= sub['last_change']:
                sub['canceled'] = True
                k = self.period_index(sub, md)
                a, b = self.period_bounds(sub, k)
                sub['end'] = (md if mode == 'immediate' else b)
                if mode == 'immediate' and k <= sub['billed_k']:
                    acct['pending'] = True

    def usage(self, sid, now, late=False):
        r = self.r
        sub = self.subs[sid]
        acct = self.accounts[sub['account']]
        meters = list(self.plans[sub['plan']]['meters'])
        if not meters and r.random() < 0.9:
            return False
        meter = r.choice(meters) if meters and r.random() < 0.97 else r.choice(METERS)
        if late:
            at = now - timedelta(days=r.randint(20, 70), seconds=r.randint(0, 86399))
        else:
            at = now + timedelta(seconds=r.randint(0, 86399), microseconds=r.choice([0, r.randint(0, 999999)]))
        if at < sub['start'] and r.random() < 0.95:
            at = sub['start'] + timedelta(seconds=r.randint(0, 86399 * 3))
        if r.random() < 0.05:
            # right at / around a period boundary
            d = self.local_date(acct['tz'], at)
            k = self.period_index(sub, d)
            a, b = self.period_bounds(sub, k)
            if b:
                at = self.local_midnight(acct['tz'], b) + r.choice([timedelta(0), timedelta(microseconds=-1)])
        x = r.random()
        if x < 0.6:
            qty = str(r.randint(1, 50000))
        elif x < 0.85:
            qty = f"{r.randint(0, 999)}.{r.randint(1, 999):03d}"
        elif x < 0.93:
            qty = r.choice(['0.5', '0.000000000001', '1.000000000001', '0.25', '0.75', '3', '0.1'])
        elif x < 0.985:
            qty = r.choice(['999999999999999999999999', '123456789012345678901234.5', '100000000000', '2500000000'])
        else:
            qty = r.choice(['0', '-1', '1e3', ' 5', '1.0000000000001', '+4', '.5', 5])
        uid = self.nid('u', 'u{}')
        obj = {'command': 'record_usage', 'idempotency_key': self.key(), 'usage_id': uid, 'subscription_id': sid,
               'meter': meter, 'quantity': qty, 'at': self.fmt_inst(at, acct['tz'])}
        self.emit_obj(obj)
        self.usages.append(obj)
        d = self.local_date(acct['tz'], at)
        k = self.period_index(sub, d)
        sub['usage_periods'][k] = True
        if late and k <= sub['billed_k']:
            acct['pending'] = True
        return True

    # ------------------------------------------------------------ billing model
    def run_billing(self, as_of, aid=None, style_bad=False):
        r = self.r
        obj = {'command': 'run_billing', 'idempotency_key': self.key(), 'as_of': self.fmt_inst(as_of, None, plain=r.random() < 0.8)}
        if aid is not None:
            obj['account_id'] = aid
        self.emit_obj(obj)
        targets = [aid] if aid is not None else list(self.accounts)
        for a in targets:
            acct = self.accounts.get(a)
            if acct is None or acct['closed']:
                continue
            if acct['last_asof'] is not None and as_of < acct['last_asof']:
                continue
            acct['last_asof'] = as_of
            billable = acct['pending']
            for sid in acct['subs']:
                sub = self.subs[sid]
                tz = acct['tz']
                d = self.local_date(tz, as_of)
                # recurring: periods with local midnight of start <= as_of
                k = sub['billed_k']
                while True:
                    a0, b0 = self.period_bounds(sub, k + 1)
                    if a0 is None or self.local_midnight(tz, a0) > as_of:
                        break
                    if sub['end'] is not None and a0 >= sub['end']:
                        break
                    k += 1
                    billable = True
                    acct['est_due'] += self.plans[sub['plan']]['amount'] * sub['qty']
                    if k > sub['billed_k'] + 400:
                        break
                sub['billed_k'] = k
                for pk in list(sub['usage_periods']):
                    a0, b0 = self.period_bounds(sub, pk)
                    if b0 is not None and self.local_midnight(tz, b0) <= as_of:
                        billable = True
                        del sub['usage_periods'][pk]
            acct['pending'] = False
            if billable:
                acct['ninv'] += 1

    def pick_invoice(self, acct_id):
        r = self.r
        acct = self.accounts[acct_id]
        n = acct['ninv']
        if n == 0 or r.random() < 0.03:
            return f"{acct_id}-{r.randint(1, 3)}" if r.random() < 0.7 else r.choice(['nope-1', 'acct-99999-1'])
        if r.random() < 0.6:
            return f"{acct_id}-{max(1, n - r.choice([0, 0, 1, 2]))}"
        return f"{acct_id}-{r.randint(1, n + 1)}"

    # ------------------------------------------------------------ money commands
    def payment(self, aid, now):
        r = self.r
        acct = self.accounts[aid]
        exp = CURRENCIES[acct['currency']]
        pid = self.nid('p', 'p{}')
        due = acct['est_due']
        x = r.random()
        if due > 0 and x < 0.5:
            amt = due
        elif due > 0 and x < 0.7:
            amt = due * Decimal(r.choice(['0.5', '0.3', '0.9']))
        elif x < 0.9:
            amt = (due if due > 0 else Decimal(50)) * Decimal(r.choice(['1.5', '2', '3', '1.01']))  # overpayment
        else:
            amt = Decimal(r.choice(['0.01', '1', '100', '12345.67', '170141183460469231731687303715884105.727']))
        if amt <= 0:
            amt = Decimal(1)
        if exp == 0 and amt < 1:
            amt = Decimal(1)
        amt_s = self.fmt_amount(amt, exp, exact=False)
        if Decimal(amt_s) <= 0:
            amt_s = self.fmt_amount(Decimal(1), exp)
        cur = acct['currency']
        y = r.random()
        if y < 0.01:
            cur = r.choice(list(CURRENCIES))
        elif y < 0.015:
            amt_s = amt_s + '5' if exp else amt_s + '.5'
        elif y < 0.02:
            amt_s = r.choice(['0', '-10', '0.00', 'ten', '1,000.00'])
        ext = f"ext-{pid}" if r.random() < 0.98 else r.choice(['ext-p1', 'ext-dup', 'Ünicode réf ✓'])
        obj = {'command': 'record_payment', 'idempotency_key': self.key(), 'payment_id': pid, 'account_id': aid,
               'amount': amt_s, 'currency': cur,
               'received_at': self.fmt_inst(now + timedelta(seconds=r.randint(0, 86399)), acct['tz']),
               'external_ref': ext}
        self.emit_obj(obj)
        try:
            a = Decimal(amt_s)
        except Exception:
            a = Decimal(0)
        if cur == acct['currency'] and not acct['closed'] and a > 0:
            self.payments[pid] = {'account': aid, 'amount': a, 'received': now, 'refunded': Decimal(0)}
            acct['payments'].append(pid)
            acct['est_due'] = max(Decimal(0), acct['est_due'] - a)

    def credit_note(self, aid):
        r = self.r
        acct = self.accounts[aid]
        exp = CURRENCIES[acct['currency']]
        inv = self.pick_invoice(aid)
        subs = [self.subs[s] for s in acct['subs']]
        base = max([self.plans[s['plan']]['amount'] * s['qty'] for s in subs] + [Decimal(10)])
        x = r.random()
        if x < 0.4:
            amt = base * Decimal(r.choice(['0.1', '0.25', '0.5']))
        elif x < 0.6:
            amt = base                          # probably exactly the creditable total
        elif x < 0.8:
            amt = base * Decimal(r.choice(['1.01', '2', '10']))   # over creditable
        else:
            amt = Decimal(1).scaleb(-exp)       # one minor unit
        s = self.fmt_amount(amt, exp, exact=False)
        if Decimal(s) <= 0:
            s = self.fmt_amount(Decimal(1), exp)
        if r.random() < 0.03:
            s = r.choice(['0', '-1', s + '1' if '.' in s else s + '.001'])
        obj = {'command': 'issue_credit_note', 'idempotency_key': self.key(), 'credit_note_id': self.nid('cn', 'cn{}'),
               'invoice_id': inv, 'amount': s, 'reason': r.choice(['goodwill', 'outage', 'billing error', 'too much', 'x' * 255, 'réduction'])}
        self.emit_obj(obj)

    def refund(self, pid):
        r = self.r
        p = self.payments[pid]
        acct = self.accounts[p['account']]
        exp = CURRENCIES[acct['currency']]
        left = p['amount'] - p['refunded']
        x = r.random()
        if x < 0.35:
            amt = left
        elif x < 0.7:
            amt = left * Decimal(r.choice(['0.1', '0.5', '0.33']))
        elif x < 0.9:
            amt = left + Decimal(1).scaleb(-exp)   # one unit over refundable
        else:
            amt = Decimal(1).scaleb(-exp)
        s = self.fmt_amount(amt, exp)
        if Decimal(s) <= 0:
            s = self.fmt_amount(Decimal(1), exp)
        obj = {'command': 'refund_payment', 'idempotency_key': self.key(), 'refund_id': self.nid('r', 'r{}'),
               'payment_id': pid, 'amount': s}
        self.emit_obj(obj)

    def reverse(self, pid, now):
        r = self.r
        p = self.payments[pid]
        acct = self.accounts[p['account']]
        x = r.random()
        if x < 0.1:
            at = p['received'] - timedelta(days=1)          # before received: invalid_state
        elif x < 0.2:
            at = p['received']
        else:
            at = now + timedelta(seconds=r.randint(0, 86399))
        obj = {'command': 'reverse_payment', 'idempotency_key': self.key(), 'payment_id': pid,
               'reversed_at': self.fmt_inst(at, acct['tz']),
               'reason': r.choice(['chargeback', 'bank return', 'fraud', 'too early'])}
        self.emit_obj(obj)
        if not p.get('reversed') and x >= 0.1 and not acct['closed']:
            p['reversed'] = True
            acct['ninv'] += 1

    # ------------------------------------------------------------ invalid & replays
    def invalid(self, now):
        r = self.r
        kind = r.randrange(22)
        k = self.key()
        aid = r.choice(list(self.accounts)) if self.accounts else 'acct-00001'
        if kind == 0: self.emit_raw('null')
        elif kind == 1: self.emit_raw('{"command":"run_billing","idempotency_key":"%s","as_of":' % k)
        elif kind == 2: self.emit_raw('{"command":"open_account",}')
        elif kind == 3: self.emit_raw('{"command":"publish_plan","idempotency_key":"%s","amount":NaN}' % k)
        elif kind == 4: self.emit_raw('[{"command":"run_billing"}]')
        elif kind == 5: self.emit_raw('{"command":"close_account","idempotency_key":"%s","account_id":"%s","account_id":"%s"}' % (k, aid, aid))
        elif kind == 6: self.emit_obj({'command': r.choice(['run-billing', 'refund', 'delete_account', 'Open_Account', 'RUN_BILLING']), 'idempotency_key': k})
        elif kind == 7: self.emit_obj({'command': 'run_billing', 'idempotency_key': k, 'as_of': r.choice(['2024-06-01 00:00:00Z', '2024-06-01', '2024-02-30T00:00:00Z', '2024-06-01T25:00:00Z', '2024-06-01T00:00:00.1234567Z', '2024-06-01T00:00:00', '2024-06-01T00:00:60Z', '0001-01-01T00:00:00Z', '9999-12-31T00:00:00Z', 1717200000])})
        elif kind == 8: self.emit_obj({'command': 'run_billing', 'idempotency_key': k})
        elif kind == 9: self.emit_obj({'command': 'open_account', 'idempotency_key': k, 'account_id': r.choice(['bad id', '-x', 'a' * 65, 'é', '']), 'currency': 'USD'})
        elif kind == 10: self.emit_obj({'command': 'open_account', 'idempotency_key': k, 'account_id': f'acct-bad-{self.kn}', 'currency': r.choice(BAD_CURRENCIES + [None, 840])})
        elif kind == 11: self.emit_obj({'command': 'open_account', 'idempotency_key': k, 'account_id': f'acct-tz-{self.kn}', 'currency': 'USD', 'timezone': r.choice(BAD_TIMEZONES + [None, 5])})
        elif kind == 12:
            if self.usages:
                o = dict(r.choice(self.usages)); o['idempotency_key'] = k; o[r.choice(['note', 'accountId', 'qty', 'amout'])] = 'x'; self.emit_obj(o)
            else: self.emit_raw('null')
        elif kind == 13:
            if self.usages:
                o = dict(r.choice(self.usages)); o['idempotency_key'] = k; del o[r.choice(['usage_id', 'subscription_id', 'meter', 'quantity', 'at'])]; self.emit_obj(o)
            else: self.emit_raw('null')
        elif kind == 14:
            if self.usages:
                o = dict(r.choice(self.usages)); o['idempotency_key'] = k; o[r.choice(['usage_id', 'subscription_id', 'meter', 'quantity', 'at'])] = None; self.emit_obj(o)
            else: self.emit_raw('null')
        elif kind == 15: self.emit_obj({'command': 'change_subscription', 'idempotency_key': k, 'subscription_id': r.choice(list(self.subs) or ['s']), 'effective': self.fmt_inst(now)})
        elif kind == 16: self.emit_obj({'command': 'record_usage', 'idempotency_key': k, 'usage_id': self.nid('u', 'u{}'), 'subscription_id': r.choice(['nope-1', 'bad id']), 'meter': 'api_calls', 'quantity': '1', 'at': self.fmt_inst(now)})
        elif kind == 17: self.emit_obj({'command': 'run_billing', 'idempotency_key': k, 'as_of': self.fmt_inst(now), 'account_id': r.choice(['missing', 'bad id'])})
        elif kind == 18:
            self.emit_obj({'idempotency_key': r.choice(['', 'x' * 256, 'clé', 12, None]), 'command': 'run_billing', 'as_of': self.fmt_inst(now)}, remember=False)
        elif kind == 19:
            self.emit_obj({'command': 'run_billing', 'as_of': self.fmt_inst(now)}, remember=False)
        elif kind == 20:
            self.emit_obj({'command': 'void_invoice', 'idempotency_key': k, 'invoice_id': r.choice(['a' * 86, 'bad id', None, 7])})
        else:
            self.emit_obj({'command': 'record_payment', 'idempotency_key': k, 'payment_id': self.nid('p', 'p{}'), 'account_id': aid,
                           'amount': r.choice(['1e3', '10.001', '-1', '0', ' 1', 10, '1' * 45]), 'currency': self.accounts.get(aid, {}).get('currency', 'USD'),
                           'received_at': self.fmt_inst(now), 'external_ref': r.choice(['', 'x' * 256, 'ok-ref-%d' % self.kn])})

    def replay(self, now):
        r = self.r
        if not self.hist:
            return
        # favour recent commands but cover old ones too
        o = self.hist[-r.randint(1, min(len(self.hist), 300))] if r.random() < 0.7 else r.choice(self.hist)
        x = r.random()
        if x < 0.55:
            # same key, same command (maybe re-serialised: key order / whitespace / equal numbers)
            items = list(o.items())
            if r.random() < 0.3:
                r.shuffle(items)
            self.emit_obj(dict(items), remember=False, style=r.choice(['compact', 'spaced']))
        elif x < 0.8:
            # same key, different command: idempotency_key_reused
            o2 = dict(o)
            mutable = [f for f in o2 if f not in ('command', 'idempotency_key')]
            if mutable:
                f = r.choice(mutable)
                v = o2[f]
                if isinstance(v, str):
                    o2[f] = v + '1' if not v.endswith('Z') else v[:-1] + '+00:00'
                elif isinstance(v, int) and not isinstance(v, bool):
                    o2[f] = v + 1
                else:
                    o2[f] = 'x'
            else:
                o2['command'] = 'run_billing'
            self.emit_obj(o2, remember=False)
        else:
            # new key, same body (already_exists / D-18 / D-47 replay / a second run / a second payment...)
            o2 = dict(o)
            o2['idempotency_key'] = self.key()
            self.emit_obj(o2)

    # ------------------------------------------------------------ main loop
    def run(self):
        r = self.r
        start_choices = [datetime(2024, 1, 1, tzinfo=UTC), datetime(2023, 12, 20, tzinfo=UTC),
                         datetime(2024, 2, 10, tzinfo=UTC), datetime(2023, 1, 25, tzinfo=UTC),
                         datetime(2027, 12, 27, tzinfo=UTC), datetime(2024, 10, 20, tzinfo=UTC),
                         datetime(2025, 3, 1, tzinfo=UTC)]
        now = r.choice(start_choices) + timedelta(hours=r.randint(0, 23))
        ndays = max(45, min(500, self.n // 15 + r.randint(0, 60)))
        per_day = max(3, self.n / ndays)
        self.gen_plans()
        n_accounts = max(4, min(120, self.n // 110 + r.randint(0, 5)))
        # a few accounts at the start, the rest over the first months
        for _ in range(max(2, n_accounts // 3)):
            self.open_account(now)
        outage = 0
        day = 0
        while not self.full():
            day += 1
            today = now.date()
            # accounts and subscriptions
            if len(self.accounts) < n_accounts and r.random() < 0.3:
                aid = self.open_account(now)
                if r.random() < 0.85:
                    for _ in range(r.choice([1, 1, 1, 2, 3])):
                        self.subscribe(aid, now)
                elif r.random() < 0.5:
                    self.emit_obj({'command': 'close_account', 'idempotency_key': self.key(), 'account_id': aid})
                    self.accounts[aid]['closed'] = True
            for aid, acct in list(self.accounts.items()):
                if not acct['subs'] and not acct['closed'] and acct.get('tries', 0) < 2 and r.random() < 0.5:
                    acct['tries'] = acct.get('tries', 0) + 1
                    self.subscribe(aid, now)
            if r.random() < self.edge_rate:
                self.edge_burst(now)
            # traffic for the day
            budget = int(per_day * r.uniform(0.6, 1.4))
            live = [s for s in self.subs.values() if not self.accounts[s['account']]['closed'] and not s['canceled']]
            ended = [s for s in self.subs.values() if s['canceled']]
            for _ in range(budget):
                if self.full():
                    break
                x = r.random()
                t = now + timedelta(seconds=r.randint(0, 86399))
                if x < 0.035:
                    self.replay(t)
                elif x < 0.065:
                    self.invalid(t)
                elif x < 0.78 and live:
                    s = r.choice(live) if r.random() < 0.98 or not ended else r.choice(ended)
                    self.usage(s['id'], now, late=r.random() < 0.03)
                elif x < 0.86 and self.accounts:
                    self.payment(r.choice(list(self.accounts)), now)
                elif x < 0.88 and live:
                    self.change(r.choice(live)['id'], now)
                elif x < 0.89 and live:
                    self.cancel(r.choice(live)['id'], now)
                elif x < 0.91 and self.accounts:
                    self.credit_note(r.choice(list(self.accounts)))
                elif x < 0.925 and self.payments:
                    self.refund(r.choice(list(self.payments)))
                elif x < 0.935 and self.payments:
                    self.reverse(r.choice(list(self.payments)), now)
                elif x < 0.945 and self.accounts:
                    aid = r.choice(list(self.accounts))
                    self.emit_obj({'command': 'void_invoice', 'idempotency_key': self.key(), 'invoice_id': self.pick_invoice(aid)})
                elif x < 0.95 and self.accounts:
                    aid = r.choice(list(self.accounts))
                    self.emit_obj({'command': 'mark_uncollectible', 'idempotency_key': self.key(), 'invoice_id': self.pick_invoice(aid)})
                elif x < 0.96 and self.accounts:
                    aid = r.choice(list(self.accounts))
                    self.emit_obj({'command': 'close_account', 'idempotency_key': self.key(), 'account_id': aid if r.random() < 0.95 else 'missing'})
                elif x < 0.964 and self.accounts:
                    self.wind_down(r.choice(list(self.accounts)), now)
                elif x < 0.975 and self.accounts:
                    aid = self.open_account(now)
                elif self.accounts:
                    aid = r.choice(list(self.accounts))
                    if self.plans_by_cur.get(self.accounts[aid]['currency']) or r.random() < 0.1:
                        self.subscribe(aid, now)
            if self.full():
                break
            # bill runs on/around local midnights of tomorrow
            tomorrow = today + timedelta(days=1)
            if outage > 0:
                outage -= 1
            elif r.random() < 0.03:
                outage = r.randint(2, 25)
            else:
                self.bill_runs(tomorrow)
            now = now + timedelta(days=1)
        return self.out

    def bill_runs(self, d):
        r = self.r
        tzs = sorted({a['tz'] for a in self.accounts.values()})
        if not tzs:
            return
        tz = r.choice(tzs)
        mid = self.local_midnight(tz, d)
        off = r.choice([timedelta(0), timedelta(0), timedelta(seconds=-1), timedelta(seconds=1),
                        timedelta(microseconds=-1), timedelta(minutes=15), timedelta(hours=r.randint(1, 20)),
                        timedelta(minutes=-45)])
        as_of = mid + off
        x = r.random()
        # edge: change/cancel at exactly the bill-run instant, just before it
        if x < 0.04:
            live = [s for s in self.subs.values() if not s['canceled'] and self.accounts[s['account']]['tz'] == tz]
            if live:
                s = r.choice(live)
                (self.change if r.random() < 0.5 else self.cancel)(s['id'], as_of, at_run=as_of)
        if x > 0.92 and self.accounts:
            aid = r.choice(list(self.accounts))
            self.run_billing(as_of, aid)
        else:
            self.run_billing(as_of)
        if r.random() < 0.04 and self.last_run is not None:
            self.run_billing(self.last_run)          # a stale run (back in time)
        if r.random() < 0.05:
            self.run_billing(as_of)                  # same as_of again (D-25)
        if r.random() < 0.03:
            # edge: change/cancel right after the bill run at the same instant
            live = [s for s in self.subs.values() if not s['canceled']]
            if live:
                s = r.choice(live)
                (self.change if r.random() < 0.5 else self.cancel)(s['id'], as_of, at_run=as_of)
        self.last_run = as_of

    def edge_burst(self, now):
        """One hand-picked edge case, with fresh ids so it does not disturb the rest."""
        r = self.r
        kind = r.randrange(14)
        k = self.key
        if kind == 0:
            # extreme instants in extreme zones, billed only for that account
            tz = r.choice(['Etc/GMT+12', 'Pacific/Kiritimati', 'America/St_Johns', 'Pacific/Chatham', 'Asia/Kathmandu', 'Etc/GMT-14'])
            cur = r.choice(self.curs)
            aid = self.nid('acct', 'edge-{}')
            self.emit_obj({'command': 'open_account', 'idempotency_key': k(), 'account_id': aid, 'currency': cur, 'timezone': tz})
            self.accounts[aid] = {'currency': cur, 'tz': tz, 'subs': [], 'closed': False, 'ninv': 0, 'last_asof': None,
                                  'pending': False, 'payments': [], 'opened': now, 'est_due': Decimal(0), 'tries': 9, 'edge': True}
            plans = [p for p in self.plans_by_cur.get(cur, []) if self.plans[p]['months'] >= 12] or self.plans_by_cur.get(cur, [])
            if not plans:
                return
            sid = self.nid('sub', 'sub-{:06d}')
            start = r.choice(['0001-01-02T00:00:00Z', '9999-12-30T23:59:59.999999Z', '9999-12-30T10:00:00Z', '0001-01-02T00:00:00+00:01', '1970-01-01T00:00:00Z', '2038-01-19T03:14:08Z'])
            self.emit_obj({'command': 'subscribe', 'idempotency_key': k(), 'subscription_id': sid, 'account_id': aid, 'plan_id': r.choice(plans), 'start': start})
            for as_of in sorted(r.sample(['0001-01-02T00:00:00Z', '1970-01-01T00:00:00Z', '2038-01-19T03:14:08Z', '9999-12-30T23:59:59.999999Z', '9999-12-30T23:59:59-23:59'], 2)):
                self.emit_obj({'command': 'run_billing', 'idempotency_key': k(), 'as_of': as_of, 'account_id': aid})
            self.emit_obj({'command': 'cancel_subscription', 'idempotency_key': k(), 'subscription_id': sid, 'effective': '9999-12-30T23:59:59.999999Z', 'mode': r.choice(['immediate', 'end_of_period'])})
            self.emit_obj({'command': 'run_billing', 'idempotency_key': k(), 'as_of': '9999-12-30T23:59:59.999999Z', 'account_id': aid})
            self.emit_obj({'command': 'close_account', 'idempotency_key': k(), 'account_id': aid})
        elif kind == 1:
            # largest payment that fits, then overflow of the credit, then refunds
            aid = r.choice(list(self.accounts))
            acct = self.accounts[aid]
            exp = CURRENCIES[acct['currency']]
            mx = Decimal(2 ** 127 - 1).scaleb(-exp)
            pid = self.nid('p', 'p{}')
            self.emit_obj({'command': 'record_payment', 'idempotency_key': k(), 'payment_id': pid, 'account_id': aid,
                           'amount': self.fmt_amount(mx, exp), 'currency': acct['currency'], 'received_at': self.fmt_inst(now),
                           'external_ref': f'ext-{pid}'})
            pid2 = self.nid('p', 'p{}')
            self.emit_obj({'command': 'record_payment', 'idempotency_key': k(), 'payment_id': pid2, 'account_id': aid,
                           'amount': self.fmt_amount(Decimal(1), exp), 'currency': acct['currency'], 'received_at': self.fmt_inst(now),
                           'external_ref': f'ext-{pid2}'})
            self.payments[pid] = {'account': aid, 'amount': mx, 'received': now, 'refunded': Decimal(0)}
            self.emit_obj({'command': 'refund_payment', 'idempotency_key': k(), 'refund_id': self.nid('r', 'r{}'), 'payment_id': pid,
                           'amount': self.fmt_amount(mx, exp)})
            if r.random() < 0.5:
                self.emit_obj({'command': 'reverse_payment', 'idempotency_key': k(), 'payment_id': pid, 'reversed_at': self.fmt_inst(now + timedelta(hours=1)), 'reason': 'edge'})
        elif kind == 2:
            # big JSON integers
            aid = r.choice(list(self.accounts)); acct = self.accounts[aid]
            plans = self.plans_by_cur.get(acct['currency'])
            if not plans:
                return
            qty = r.choice([10 ** 24 - 1, 10 ** 24, 2 ** 63, 2 ** 64, int('9' * 300), 2 ** 127])
            sid = self.nid('sub', 'sub-{:06d}')
            self.emit_obj({'command': 'subscribe', 'idempotency_key': k(), 'subscription_id': sid, 'account_id': aid, 'plan_id': r.choice(plans), 'quantity': qty, 'start': self.fmt_inst(now)})
            ic = r.choice([2 ** 31, 2 ** 32 + 1, 2 ** 63, 2 ** 64 + 1, int('9' * 400)]) if not self.avoid_known else r.choice([100, 2000, 20000 * 12])
            cur = acct['currency']
            self.emit_obj({'command': 'publish_plan', 'idempotency_key': k(), 'plan_id': f'edge_ic_{self.kn}', 'currency': cur, 'interval': 'month', 'interval_count': ic, 'amount': self.fmt_amount(Decimal(7), CURRENCIES[cur])})
        elif kind == 3:
            # hostile JSON lines
            x = r.randrange(8)
            if x == 0: self.emit_raw('{"command":"run_billing","idempotency_key":"%s","as_of":%s}' % (k(), '[' * 20000 + ']' * 20000))
            elif x == 1: self.emit_raw('{"command":"run_billing","idempotency_key":"%s","as_of":"%s"}' % (k(), 'x' * (1 << 20)))
            elif x == 2: self.emit_raw('\ufeff{"command":"run_billing","idempotency_key":"%s","as_of":"2024-01-01T00:00:00Z"}' % k())
            elif x == 3: self.emit_raw('{"command":"open_account","idempotency_key":"%s","account_id":"bad\udcff","currency":"USD"}' % k())   # invalid UTF-8 byte
            elif x == 4: self.emit_raw('{"command":"open_account","idempotency_key":"%s","account_id":"x","currency":"\\ud800"}' % k())  # lone surrogate escape
            elif x == 5: self.emit_raw('   \t  ')       # blank line: no result (D-7)
            elif x == 6: self.emit_raw('{"command":"run_billing","idempotency_key":"%s","as_of":"2024-01-01T00:00:00Z"}\r' % k())  # CRLF
            else: self.emit_raw('{"command":"run_billing","idempotency_key":"%s","as_of":"2024-01-01T00:00:00Z"} {}' % k())
        elif kind == 4 and not self.avoid_known:
            aid = r.choice(list(self.accounts)); acct = self.accounts[aid]
            pid = self.nid('p', 'p{}')
            self.emit_obj({'command': 'record_payment', 'idempotency_key': k(), 'payment_id': pid, 'account_id': aid, 'amount': self.fmt_amount(Decimal(1), CURRENCIES[acct['currency']]),
                           'currency': acct['currency'], 'received_at': self.fmt_inst(now), 'external_ref': 'nul\u0000ref'})
        elif kind == 5:
            # odd but valid strings
            aid = r.choice(list(self.accounts)); acct = self.accounts[aid]
            pid = self.nid('p', 'p{}')
            self.emit_obj({'command': 'record_payment', 'idempotency_key': ''.join(chr(r.randint(32, 126)) for _ in range(255)), 'payment_id': pid, 'account_id': aid,
                           'amount': self.fmt_amount(Decimal(3), CURRENCIES[acct['currency']]), 'currency': acct['currency'], 'received_at': self.fmt_inst(now),
                           'external_ref': r.choice(['é' * 255, '🙂' * (250 if self.avoid_known else 255), 'a/b/c', 'default/ext', '\u001f\u0001', ' ', '\u2028x', '"quoted"\\'])})
            self.payments[pid] = {'account': aid, 'amount': Decimal(3), 'received': now, 'refunded': Decimal(0)}
            self.emit_obj({'command': 'issue_credit_note', 'idempotency_key': k(), 'credit_note_id': self.nid('cn', 'cn{}'), 'invoice_id': self.pick_invoice(aid),
                           'amount': self.fmt_amount(Decimal(1), CURRENCIES[acct['currency']]), 'reason': r.choice(['\u0000', 'é' * 255, 'x' * 256, '🙂'])})
        elif kind == 6:
            # immediate cancel at the anchor before invoicing, then close (should be accepted)
            aid = self.open_account(now); acct = self.accounts[aid]
            plans = self.plans_by_cur.get(acct['currency'])
            if not plans:
                return
            sid = self.nid('sub', 'sub-{:06d}')
            st = self.local_midnight(acct['tz'], self.local_date(acct['tz'], now) + timedelta(days=2))
            self.emit_obj({'command': 'subscribe', 'idempotency_key': k(), 'subscription_id': sid, 'account_id': aid, 'plan_id': r.choice(plans), 'start': self.fmt_inst(st, acct['tz'])})
            self.emit_obj({'command': 'cancel_subscription', 'idempotency_key': k(), 'subscription_id': sid, 'effective': self.fmt_inst(st, acct['tz']), 'mode': 'immediate'})
            self.emit_obj({'command': 'close_account', 'idempotency_key': k(), 'account_id': aid})
            acct['closed'] = True
        elif kind == 7:
            # Feb 29 anchors (yearly and monthly), backdated
            aid = self.open_account(now); acct = self.accounts[aid]
            plans = self.plans_by_cur.get(acct['currency'])
            if not plans:
                return
            y = r.choice([2024, 2028, 2020])
            st = self.local_midnight(acct['tz'], date(y, 2, 29)) + timedelta(hours=r.choice([0, 5, 23]))
            for p in r.sample(plans, min(2, len(plans))):
                self.emit_obj({'command': 'subscribe', 'idempotency_key': k(), 'subscription_id': self.nid('sub', 'sub-{:06d}'), 'account_id': aid, 'plan_id': p, 'start': self.fmt_inst(st, acct['tz'])})
            self.run_billing(max(now, st) + timedelta(days=r.choice([0, 1, 400])), aid)
        elif kind == 8:
            # DST-gap midnights: anchor on the gap day, runs at the transition instant and 1us before
            tz, d = r.choice([('America/Santiago', date(2024, 9, 8)), ('America/Havana', date(2024, 3, 10)), ('Asia/Beirut', date(2024, 3, 31)),
                              ('America/Asuncion', date(2024, 10, 6)), ('Pacific/Apia', date(2011, 12, 30)), ('America/Santiago', date(2025, 9, 7))])
            cur = r.choice(self.curs)
            aid = self.nid('acct', 'dst-{}')
            self.emit_obj({'command': 'open_account', 'idempotency_key': k(), 'account_id': aid, 'currency': cur, 'timezone': tz})
            self.accounts[aid] = {'currency': cur, 'tz': tz, 'subs': [], 'closed': False, 'ninv': 0, 'last_asof': None,
                                  'pending': False, 'payments': [], 'opened': now, 'est_due': Decimal(0), 'tries': 9}
            plans = self.plans_by_cur.get(cur)
            if not plans:
                return
            mid = self.local_midnight(tz, d)
            sid = self.nid('sub', 'sub-{:06d}')
            self.emit_obj({'command': 'subscribe', 'idempotency_key': k(), 'subscription_id': sid, 'account_id': aid, 'plan_id': r.choice(plans), 'start': self.fmt_inst(mid + timedelta(hours=1), tz)})
            self.emit_obj({'command': 'run_billing', 'idempotency_key': k(), 'as_of': self.fmt_inst(mid - timedelta(microseconds=1), plain=True), 'account_id': aid})
            self.emit_obj({'command': 'run_billing', 'idempotency_key': k(), 'as_of': self.fmt_inst(mid, plain=True), 'account_id': aid})
            self.emit_obj({'command': 'change_subscription', 'idempotency_key': k(), 'subscription_id': sid, 'quantity': 2, 'effective': self.fmt_inst(mid + timedelta(days=r.randint(1, 20)), tz)})
            self.emit_obj({'command': 'run_billing', 'idempotency_key': k(), 'as_of': self.fmt_inst(mid + timedelta(days=40), plain=True), 'account_id': aid})
        elif kind == 9:
            # replay every kind: the same command twice under a new key (already_exists / D-18 / D-47) and the same key
            kinds = {}
            for o in self.hist[-600:]:
                kinds.setdefault(o.get('command'), o)
            for o in kinds.values():
                self.emit_obj(dict(o), remember=False)
                o2 = dict(o); o2['idempotency_key'] = k()
                self.emit_obj(o2)
        elif kind == 10:
            # tiny and huge unit prices with fractional quantities
            cur = r.choice(self.curs); exp = CURRENCIES[cur]
            pid = f'edge_up_{self.kn}'
            ups = ['0.000000000001', '999999999999999999999999.999999999999', '0.5', '0.000000000005']
            self.emit_obj({'command': 'publish_plan', 'idempotency_key': k(), 'plan_id': pid, 'currency': cur, 'interval': 'month', 'amount': self.fmt_amount(Decimal(0), exp),
                           'meters': [{'meter': f'm{i}', 'unit_price': u} for i, u in enumerate(ups)]})
            self.plans[pid] = {'currency': cur, 'months': 1, 'amount': Decimal(0), 'meters': {f'm{i}': u for i, u in enumerate(ups)}}
            self.plans_by_cur.setdefault(cur, []).append(pid)
            aid = self.open_account(now); acct = self.accounts[aid]
            acct['currency'] = cur
            self.out.pop(); self.hist.pop()
            self.emit_obj({'command': 'open_account', 'idempotency_key': k(), 'account_id': aid, 'currency': cur, 'timezone': acct['tz']})
            sid = self.subscribe(aid, now, plan=pid)
            if sid in self.subs:
                for i in range(4):
                    for q in r.sample(['0.5', '0.000000000001', '1', '999999999999999999999999.999999999999', '3', '0.1'], 2):
                        self.emit_obj({'command': 'record_usage', 'idempotency_key': k(), 'usage_id': self.nid('u', 'u{}'), 'subscription_id': sid, 'meter': f'm{i}', 'quantity': q,
                                       'at': self.fmt_inst(self.subs[sid]['start'] + timedelta(hours=1))})
                self.run_billing(self.subs[sid]['start'] + timedelta(days=r.choice([31, 62, 95])), aid)
        elif kind == 11:
            # changes and cancels exactly at period boundaries, before and after invoicing
            live = [s for s in self.subs.values() if not s['canceled'] and not self.accounts[s['account']]['closed']]
            if not live:
                return
            s = r.choice(live); acct = self.accounts[s['account']]
            d = self.local_date(acct['tz'], now)
            kk = self.period_index(s, d)
            a, b = self.period_bounds(s, kk)
            if b is None:
                return
            mb = self.local_midnight(acct['tz'], b)
            if r.random() < 0.5:
                self.run_billing(mb, s['account'])
            self.change(s['id'], now, at_run=mb)
            if r.random() < 0.5:
                self.run_billing(mb, s['account'])
            self.cancel(s['id'], now, at_run=mb + timedelta(days=r.choice([0, 0, 1])))
            self.run_billing(mb + timedelta(days=1), s['account'])
        elif kind == 12:
            # credit notes and refunds exactly at / one unit over their limits, void & uncollectible of fresh invoices
            aid = r.choice(list(self.accounts)); acct = self.accounts[aid]
            for _ in range(3):
                self.credit_note(aid)
            if acct['payments']:
                for _ in range(2):
                    self.refund(r.choice(acct['payments']))
            inv = self.pick_invoice(aid)
            self.emit_obj({'command': r.choice(['void_invoice', 'mark_uncollectible']), 'idempotency_key': k(), 'invoice_id': inv})
            self.emit_obj({'command': 'issue_credit_note', 'idempotency_key': k(), 'credit_note_id': self.nid('cn', 'cn{}'), 'invoice_id': inv, 'amount': self.fmt_amount(Decimal(1), CURRENCIES[acct['currency']]), 'reason': 'after void/uncollectible'})
            self.payment(aid, now)
        else:
            # a late catch-up run for one account far in the future, then normal runs continue (they issue nothing for it)
            live = [a for a, x in self.accounts.items() if not x['closed'] and x['subs']]
            if live:
                self.run_billing(now + timedelta(days=r.choice([90, 400, 800])), r.choice(live))

    def wind_down(self, aid, now):
        """Cancel everything, bill, pay/refund, try to close: exercises close_account."""
        r = self.r
        acct = self.accounts[aid]
        for sid in acct['subs']:
            if not self.subs[sid]['canceled']:
                self.cancel(sid, now)
        if r.random() < 0.5:
            self.run_billing(now + timedelta(hours=r.randint(0, 23)), aid)
        if acct['payments'] and r.random() < 0.5:
            self.refund(r.choice(acct['payments']))
        self.emit_obj({'command': 'close_account', 'idempotency_key': self.key(), 'account_id': aid})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('seed', type=int)
    ap.add_argument('--commands', type=int, default=3000)
    ap.add_argument('--avoid-known', action='store_true',
                    help='do not emit triggers of already-reported anomalies (NUL in external_ref, '
                         'external_ref over ~1000 UTF-8 bytes, period ends beyond year 32767)')
    ap.add_argument('--edge-rate', type=float, default=0.04, help='probability per simulated day of an edge burst')
    a = ap.parse_args()
    g = Gen(a.seed, a.commands)
    g.avoid_known = a.avoid_known
    g.edge_rate = a.edge_rate
    lines = g.run()
    out = '\n'.join(lines[:max(a.commands, 1)]) + '\n'
    sys.stdout.buffer.write(out.encode('utf-8', 'surrogateescape'))


if __name__ == '__main__':
    main()
