"""`tfcache-nb bench` output paths checked before the run, the real plot path, to_csv's temp file."""

from __future__ import annotations

import pytest

from tfcache_nb.cli.main import build_parser, main
from tfcache_nb.experiments.results import ExperimentResults

PNG = b"\x89PNG\r\n\x1a\n"


def _no_run(monkeypatch):
    """Fail loudly if the experiment starts: the path checks must come first."""
    import tfcache_nb.experiments.runner as runner

    def refuse(*_a, **_k):
        raise AssertionError("the experiment ran before the output paths were checked")

    monkeypatch.setattr(runner, "run_experiment", refuse)


@pytest.mark.parametrize("option,value,message", [
    ("--csv", "{tmp}", "is a folder"),
    ("--csv", "{tmp}/missing/x.csv", "does not exist"),
    ("--plot", "{tmp}", "is a folder"),
    ("--plot", "{tmp}/missing/x.png", "does not exist"),
    ("--plot", "{tmp}/x.notaformat", "matplotlib cannot write .notaformat"),
])
def test_bad_output_paths_fail_before_the_run(model_folder, tmp_path, capsys, monkeypatch, option, value, message):
    _no_run(monkeypatch)
    rc = main(["bench", "--model-dir", str(model_folder), "--trials", "1", option, value.format(tmp=tmp_path)])
    err = capsys.readouterr().err
    assert rc == 1 and message in err and err.count("\n") == 1
    assert err.startswith("tfcache-nb bench: error:")


def test_plot_without_a_suffix_names_the_file_it_wrote(model_folder, tmp_path, capsys):
    rc = main(["bench", "--model-dir", str(model_folder), "--profile", "lte", "--trials", "1",
               "--no-progress", "--plot", str(tmp_path / "x")])
    out = capsys.readouterr().out
    assert rc == 0
    assert f"wrote the plot to {tmp_path / 'x.png'}" in out
    assert "1 trial each" in out and "1 trials" not in out
    assert (tmp_path / "x.png").read_bytes()[:8] == PNG


def test_bench_help_shows_a_plain_percent_sign():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    text = sub.choices["bench"].format_help()
    assert "95% interval" in text and "%%" not in text


def _results() -> ExperimentResults:
    return ExperimentResults([{"model": "m", "source_url": "u", "profile": "p", "storage": "wx",
                               "trial": 0, "kind": "cold", "total_s": 1.0}])


def test_to_csv_replaces_atomically_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "r.csv"
    target.write_text("old", encoding="utf-8")
    assert _results().to_csv(target) == target
    assert target.read_text(encoding="utf-8").startswith("model,")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"]


def test_to_csv_failure_leaves_nothing_behind(tmp_path):
    target = tmp_path / "r.csv"
    target.mkdir()  # os.replace onto a folder fails
    with pytest.raises(OSError):
        _results().to_csv(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv"] and target.is_dir()
    assert list(target.iterdir()) == []


def test_to_csv_does_not_clobber_a_file_named_like_the_old_temporary(tmp_path):
    (tmp_path / "r.csv.tmp").write_text("someone else's", encoding="utf-8")
    _results().to_csv(tmp_path / "r.csv")
    assert (tmp_path / "r.csv.tmp").read_text(encoding="utf-8") == "someone else's"
