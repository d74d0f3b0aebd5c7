"""The count columns the simulated service emits per minute (M27): every SLO is a ratio of good to total events
over these. A module that imports nothing of the package, so the scenario's checks, the simulator and the
monitors can all name the columns."""

COUNT_COLUMNS = ("requests", "errors", "errors_tool", "errors_provider", "errors_timeout", "slow", "graded",
                 "correct", "stale_answers", "stale_index", "tokens")
MAX_INDEX_AGE_H = 25.0   # the freshness SLO's default: the nightly build, plus an hour's grace
