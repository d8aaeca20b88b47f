#!/usr/bin/env python3
"""compare.py EXPECTED_RESULTS EXPECTED_STATES ACTUAL_RESULTS ACTUAL_STATES
Results compared line by line on idempotency_key, status, error.code, error.field
(absent and present are different) and replayed;
states ({account_id: state}) compared as parsed JSON. Prints the first differing
command index and the differing JSON paths (compactly). Exit 0 on match, 1 otherwise.
Options: --all (list all differing commands, not only the first), --max N (paths shown, default 15)."""
import json, sys

def load_results(p):
    out = []
    for line in open(p, encoding='utf-8', errors='replace'):
        if line.strip():
            try: out.append(json.loads(line))
            except Exception: out.append({'_unparsable': line.strip()[:100]})
    return out

def key(r):
    if not isinstance(r, dict): return r
    e = r.get('error') or {}
    if not isinstance(e, dict): e = {}
    return (r.get('idempotency_key'), r.get('status'), e.get('code'), e.get('field', '<none>'),
            bool(r.get('replayed')))

def diff(a, b, path, acc):
    if type(a) != type(b) and not (isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool)):
        acc.append((path, a, b)); return
    if isinstance(a, dict):
        for k in list(a.keys()) + [k for k in b if k not in a]:
            if k not in b: acc.append((f"{path}.{k}", a[k], '<missing>'))
            elif k not in a: acc.append((f"{path}.{k}", '<missing>', b[k]))
            else: diff(a[k], b[k], f"{path}.{k}", acc)
    elif isinstance(a, list):
        for i in range(max(len(a), len(b))):
            if i >= len(a): acc.append((f"{path}[{i}]", '<missing>', b[i]))
            elif i >= len(b): acc.append((f"{path}[{i}]", a[i], '<missing>'))
            else: diff(a[i], b[i], f"{path}[{i}]", acc)
    elif a != b: acc.append((path, a, b))

def short(v, n=140):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) or v.startswith('<') else json.dumps(v)
    return s if len(s) <= n else s[:n] + '...'

def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    show_all = '--all' in sys.argv
    mx = 15
    if '--max' in sys.argv:
        mx = int(sys.argv[sys.argv.index('--max') + 1]); args.remove(str(mx))
    if len(args) != 4:
        print(__doc__, file=sys.stderr); return 2
    er, es, ar, as_ = args
    ok = True
    E, Aa = load_results(er), load_results(ar)
    ndiff = 0
    for i in range(max(len(E), len(Aa))):
        e = E[i] if i < len(E) else None; a = Aa[i] if i < len(Aa) else None
        if key(e) != key(a):
            ndiff += 1
            if ndiff == 1 or show_all:
                print(f"results: first differing command index {i} (0-based, line {i+1})" if ndiff == 1 else f"results: command {i}")
                print(f"  expected {short(key(e))}  {short(e, 200)}")
                print(f"  actual   {short(key(a))}  {short(a, 200)}")
            ok = False
    if len(E) != len(Aa): print(f"results: {len(E)} expected lines, {len(Aa)} actual")
    if ndiff: print(f"results: {ndiff} differing commands")
    S1, S2 = json.load(open(es)), json.load(open(as_))
    acc = []
    diff(S1, S2, '$', acc)
    if acc:
        ok = False
        accts = sorted({p.split('.')[1].split('[')[0] for p, _, _ in acc if p.count('.') >= 1})
        print(f"states: {len(acc)} differing paths in {len(accts)} accounts: {', '.join(accts[:10])}{' ...' if len(accts) > 10 else ''}")
        for p, a, b in acc[:mx]:
            print(f"  {p}: expected {short(a)} actual {short(b)}")
        if len(acc) > mx: print(f"  ... {len(acc) - mx} more")
    if ok: print("match")
    return 0 if ok else 1

if __name__ == '__main__':
    sys.exit(main())
