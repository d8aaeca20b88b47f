# accrue_codec sources and tests (json, command decoder).
