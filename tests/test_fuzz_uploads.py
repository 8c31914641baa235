"""Bad files get a clear error and lose nothing: a 40-file sample of `benchmarks/fuzz_uploads.py` (bit flips,
truncations, splices, wrong formats, huge declared sizes, polyglots, hostile names) through the CLI and
through the web upload with its worker. Fail closed: every refusal says why, in words."""

from benchmarks.fuzz_uploads import main


def test_fail_closed_a_fuzzed_sample_crashes_nothing_loses_nothing_and_checks_every_good_file() -> None:
    rows = main(["--files", "40", "--seed", "7", "--batch", "40", "--no-memory"])
    assert len(rows) == 2
    for path, tally in rows.items():
        assert (tally.crashes, tally.server_errors, tally.lost) == (0, 0, 0), path
        assert (tally.no_reason, tally.internals) == (0, 0), path
        assert tally.good > 0 and tally.good_checked == tally.good, path
        assert tally.refused > 0, path
