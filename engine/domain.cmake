# accrue_domain sources and tests (state, decide, evolve, ledger, service).
