#!/bin/sh
# summary.sh TARGET LOG ARTIFACT_DIR - one line of figures from a libFuzzer
# run (-print_final_stats=1): executions, exec/s, coverage, corpus, crashers.
t=$1 log=$2 art=$3
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
corp=$(printf '%s\n' "$last" | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
crashes=$(ls "$art" 2>/dev/null | grep -c "^$t-\(crash\|leak\|timeout\|oom\)-")
if grep -qE '^==[0-9]+==ERROR|FUZZ PROPERTY FAILED|deadly signal' "$log"; then st=FAIL; else st=ok; fi
printf '%-14s %s execs=%s exec/s=%s cov=%s ft=%s corpus=%s crashers=%s\n' \
  "$t" "$st" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$crashes"
