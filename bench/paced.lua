-- wrk script for bench.py's paced runs: each connection waits 5 ms after an answer before
-- its next request, so that every path is offered about the same load, below what the
-- runtime can take, and latencies compare at equal load.
function delay()
  return 5
end
