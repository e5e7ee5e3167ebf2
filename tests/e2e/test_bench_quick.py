"""The benchmark still runs: its quick mode (every figure once, at small sizes) against the suite's app.

`scripts/bench` is run by hand, so nothing noticed when it broke (issue 28): this computes every
figure of bench/run.py on every test run. Nothing is asserted about time: speed is for bench/.
"""

import math

from bench import report
from bench.run import QUICK, measure

FIGURES = {
    "sdk",
    "v1",
    "ui_one",
    "ui_four",
    "gallery_first",
    "gallery_deep",
    "load_more",
    "largest_frame",
    "round_trip_idle",
    "round_trip_busy",
    "memory_per_tab",
    "save",
    "save_floor",
    "feed_heap",
    "feed_backend",
}


def test_every_figure_of_the_benchmark_is_computed(browser, app, demo_server, tmp_path):
    run = measure(browser, app, demo_server, QUICK, tmp_path)

    assert {figure.key for figure in run.figures} == FIGURES
    for figure in run.figures:
        assert figure.samples, figure.name
        assert all(math.isfinite(sample) for sample in figure.samples), figure.name
    assert set(run.headline) == {goal.key for goal in report.GOALS}
    assert all(math.isfinite(value) for value in run.headline.values())
    # The page this run would add to still renders with it.
    assert "UI ÷ direct SDK" in report.render([*report.stored_runs(), run.record()])
