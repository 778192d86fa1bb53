"""``tfcache-nb launches`` and ``tfcache-nb population``: tables, JSON, plots, one-line errors.

Tiny runs on the synthetic model (1.9 MiB) over the fastest presets, so each takes seconds."""

from __future__ import annotations

import csv
import json

import pytest
from cli_helpers import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# one update before launch 1 of 3: cacheFirst keeps version 0 (2 stale launches), latest re-downloads
LAUNCHES = ("--strategy", "cacheFirst", "--strategy", "latest", "--launches", "3", "--updates", "1",
            "--profile", "lte")


def _one_line_error(out, command: str) -> str:
    assert out.returncode == 1, out
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
    assert out.stderr.startswith(f"tfcache-nb {command}: error: ")
    return out.stderr


def test_launches_prints_the_table_and_writes_the_plot_and_csv(synthetic_dir, tmp_path):
    out = run_cli("launches", str(synthetic_dir), *LAUNCHES, "--plot", str(tmp_path / "launches"),
                  "--csv", str(tmp_path / "launches.csv"))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "3 launches 8 h apart on lte, new versions before launches 1"
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:5]}
    assert rows["cacheFirst"][:4] == ["2", "1", "0", "2"]  # stale, downloads, 304s, cache
    assert rows["latest"][:4] == ["0", "2", "1", "0"]
    assert (tmp_path / "launches.png").read_bytes().startswith(PNG_MAGIC)  # .png added as matplotlib does
    with open(tmp_path / "launches.csv", newline="", encoding="utf-8") as fh:
        records = list(csv.DictReader(fh))
    assert [(r["strategy"], r["launch"], r["how"]) for r in records] == [
        ("cacheFirst", "0", "download"), ("cacheFirst", "1", "cache"), ("cacheFirst", "2", "cache"),
        ("latest", "0", "download"), ("latest", "1", "download"), ("latest", "2", "checked (304)")]
    assert "6/6 launches" in out.stderr  # progress on stderr, a line per strategy when not a terminal


def test_launches_json_has_the_numbers_and_stdout_only_json(synthetic_dir):
    out = run_cli("launches", str(synthetic_dir), *LAUNCHES, "--json", "--no-progress", "--other-data-mib", "1")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    doc = json.loads(out.stdout)
    assert doc["settings"]["updates"] == [1] and doc["settings"]["other_data_bytes"] == 1024 * 1024
    summary = {r["strategy"]: r for r in doc["summary"]}
    assert summary["cacheFirst"]["stale_launches"] == 2 and summary["cacheFirst"]["downloads"] == 1
    assert summary["latest"]["downloads"] == 2 and summary["latest"]["checks_304"] == 1
    one = summary["cacheFirst"]["bytes_network"]  # version 0; version 1's model.json also names its version
    assert one > 0 and 2 * one < summary["latest"]["bytes_network"] < 2 * one + 1024
    assert len(doc["launches"]) == 6 and all(r["total_s"] > 0 for r in doc["launches"])


def test_population_validated_prints_both_comparisons_and_the_plot(synthetic_dir, tmp_path):
    out = run_cli("population", str(synthetic_dir), "--users", "20", "--mix", "wifi=0.5,lte=0.5",
                  "--launches", "2", "--updates", "none", "--strategy", "cacheFirst", "--validate", "2",
                  "--plot", str(tmp_path / "population.png"))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("20 users x 2 launches of mobilenet_v1_0.25_224")
    assert "networks: wifi 50%, lte 50%" in text
    assert text.count("2 users run for real") == 2  # as computed, then held out
    assert "local times from the other users of the sample (2 groups)" in text
    assert text.count("The same launches, by kind") == 2
    assert (tmp_path / "population.png").read_bytes().startswith(PNG_MAGIC)
    assert "real users: 2/2 (user, strategy) runs done" in out.stderr


def test_population_json_has_the_numbers(synthetic_dir):
    out = run_cli("population", str(synthetic_dir), "--users", "30", "--mix", "lte=1", "--launches", "2",
                  "--updates", "none", "--strategy", "cacheFirst", "--strategy", "networkOnly",
                  "--validate", "2", "--json", "--no-progress")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    doc = json.loads(out.stdout)
    settings = doc["settings"]
    assert settings["users"] == 30 and settings["network_mix"] == {"lte": 1.0}
    summary = {r["strategy"]: r for r in doc["summary"]}
    # no update, nothing else stored: the first launch downloads, the second reads the cache
    assert summary["cacheFirst"]["hit_rate"] == 0.5 and summary["networkOnly"]["hit_rate"] == 0.0
    assert summary["cacheFirst"]["bytes_per_user"] == settings["download_bytes"]
    assert summary["networkOnly"]["bytes_per_user"] == 2 * settings["download_bytes"]
    validation = doc["validation"]
    assert validation["users"] == 2
    for comparison in ("as_computed", "held_out"):
        rows = {r["strategy"]: r for r in validation[comparison]["strategies"]}
        assert rows["cacheFirst"]["real_bytes"] == rows["cacheFirst"]["model_bytes"] == 2 * settings["download_bytes"]
        assert rows["networkOnly"]["real_median_s"] > rows["cacheFirst"]["real_median_s"] > 0
        kinds = {(r["strategy"], r["how"]): r["launches"] for r in validation[comparison]["kinds"]}
        assert kinds == {("cacheFirst", "download"): 2, ("cacheFirst", "cache"): 2, ("networkOnly", "download"): 4}
    assert "other users" in validation["held_out"]["local_times_from"]


@pytest.mark.parametrize("args, named", [
    (("--mix", "wifi=0.5,moon=0.5"), "'moon'"),
    (("--mix", "wifi=lots"), "'wifi=lots' is not PROFILE=SHARE"),
    (("--mix", "wifi=-1,lte=1"), "shares must be >= 0"),
    (("--mix", "wifi=1,wifi=2"), "given twice"),
    (("--updates", "1,x"), "--updates '1,x'"),
    (("--updates", "7"), "updates must be distinct launch numbers from 1 to 2"),
    (("--other-data-mib", "3,1,2"), "--other-data-mib '3,1,2'"),
    (("--validate", "9"), "only 5 users"),
    (("--validate", "1"), "at least 2 users"),
])
def test_population_bad_options_are_one_line_errors(synthetic_dir, args, named):
    out = run_cli("population", str(synthetic_dir), "--users", "5", "--launches", "3", "--updates", "1", "--no-progress",
                  *args)
    assert named in _one_line_error(out, "population")


@pytest.mark.parametrize("args, named", [
    (("--updates", "0"), "updates must be distinct launch numbers from 1 to 2"),
    (("--updates", "a"), "--updates 'a'"),
    (("--other-data-mib", "-2"), "--other-data-mib '-2'"),
    (("--plot", "/no/such/folder/x.png"), "does not exist"),
])
def test_launches_bad_options_are_one_line_errors(synthetic_dir, args, named):
    out = run_cli("launches", str(synthetic_dir), "--launches", "3", "--updates", "1", "--no-progress", *args)
    assert named in _one_line_error(out, "launches")


def test_a_missing_model_and_help(tmp_path):
    for command in ("launches", "population"):
        assert "no model.json" in _one_line_error(run_cli(command, str(tmp_path / "nothing-here")), command)
        usage = run_cli(command, "--help")
        assert usage.returncode == 0 and usage.stdout.startswith(f"usage: tfcache-nb {command}")
        assert "--strategy NAME" in usage.stdout and "--no-progress" in usage.stdout
