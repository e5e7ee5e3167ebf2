"""docs/benchmarks.md keeps each figure's history: every stored run is a column, the newest decides
whether a goal is met, and the sections other benchmarks write survive a new run (issue 28)."""

from bench import report


def _run(label: str, measured: str, memory: float, load_more: float) -> dict:
    return {
        "label": label,
        "measured": measured,
        "machine": "2 cores",
        "latency_s": 2.0,
        "load_before": [3.0, 2.0, 1.0],
        "headline": {"memory_per_tab": memory, "load_more_p50": load_more},
        "figures": {
            "memory_per_tab": {
                "name": "5. backend memory per connected tab",
                "unit": "KiB",
                "min": memory,
                "median": memory,
                "max": memory,
                "runs": 1,
                "load": 3.0,
            }
        },
    }


def _row(document: str, starts: str) -> str:
    return next(line for line in document.splitlines() if line.startswith(starts))


def test_every_run_is_a_column_oldest_first_and_the_newest_decides_the_verdict():
    runs = [
        _run("2026-12-07", "2026-12-07 10:00 UTC", memory=18.0, load_more=140.0),
        _run("2026-11-21", "2026-11-21 05:26 UTC", memory=6.1, load_more=131.8),
    ]

    document = report.render(sorted(runs, key=lambda run: run["measured"]))

    assert _row(document, "| figure | 2026-11-21 | 2026-12-07 | goal | now |")
    assert _row(document, "| backend memory per connected tab").endswith("| 6.1 | 18.0 | ≤ 20 KiB | met |")
    assert _row(document, "| gallery 'Load more'").endswith("| 131.8 | 140.0 | ≤ 150 ms | met |")
    # A figure the newest run did not measure says so instead of borrowing an older value.
    assert _row(document, "| UI ÷ direct SDK").endswith("| — | — | ≤ 1.03 | not measured |")


def test_a_regression_is_marked_missed():
    runs = [
        _run("2026-11-21", "2026-11-21 05:26 UTC", memory=6.1, load_more=131.8),
        _run("2026-12-07", "2026-12-07 10:00 UTC", memory=140.3, load_more=349.5),
    ]

    document = report.render(runs)

    assert _row(document, "| backend memory per connected tab").endswith("| 6.1 | 140.3 | ≤ 20 KiB | **missed** |")


def test_the_sections_other_benchmarks_wrote_are_kept(tmp_path):
    document = tmp_path / "benchmarks.md"
    document.write_text("# Benchmarks\n\nold figures\n\n## The job queue\n\nfairness 1.07\n\n## Batches\n\n1.062\n")

    report.render_into_document(document, [_run("2026-12-07", "2026-12-07 10:00 UTC", 18.0, 140.0)])

    text = document.read_text()
    assert "old figures" not in text
    assert "## The job queue\n\nfairness 1.07" in text
    assert "## Batches\n\n1.062" in text


def test_the_stored_runs_include_the_history_the_issue_asks_for():
    runs = report.stored_runs()

    assert [run["label"] for run in runs[:2]] == ["2026-11-21", "2026-12 (issue 28)"]
    assert [run["headline"]["memory_per_tab"] for run in runs[:2]] == [6.1, 140.3]
    assert [run["headline"]["load_more_p50"] for run in runs[:2]] == [131.8, 349.5]
