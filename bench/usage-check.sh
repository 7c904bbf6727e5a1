# Sourced by bench/run and bench/mixed. Needs PY (python3 with nothing extra).
# Usage events the server answered Accepted, from a bench/metering.lua run's output ("accepted events: N in Ss").
accepted() { awk '/^accepted events:/ {n = $3} END {print n + 0}' "$1"; }
# The same per second.
accepted_per_second() { awk '/^accepted events:/ {printf "%.0f", $3 / $5}' "$1"; }

# usage_check BASE_URL TOKEN LABEL SINGLE_WRK_OUTPUT BATCH_WRK_OUTPUT
# Prints the usage events acknowledged (answered Accepted, single and batch) and those the server holds (fresh
# database: what it holds is what this run sent; a few more may have been stored as wrk stopped). Fails if any
# acknowledged event is missing.
usage_check() {
    local acknowledged=$(( $(accepted "$4") + $(accepted "$5") ))
    curl -s -H "Authorization: Bearer $2" "$1/api/usageEvents?api-version=2018-08-31&usageStartDate=$(date -u -d '-2 days' +%Y-%m-%d)" \
        | $PY -c "import json,sys; n = sum(r['submittedCount'] for r in json.load(sys.stdin)); a = int(sys.argv[2]); print(f'{sys.argv[1]}usage events acknowledged {a}, stored {n}' + ('' if n >= a else ' -- EVENTS MISSING')); sys.exit(0 if n >= a else 1)" "$3" "$acknowledged"
}
