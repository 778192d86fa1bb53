"""The reviewer's findings on the command line, each pinned by a test."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

import tfcache_nb as tc
from cli_helpers import EXE, run_cli
from tfcache_nb.cli.main import main



@pytest.fixture()
def image():
    from tfcache_nb.inference.samples import sample_image_path

    return str(sample_image_path())


# -- 1, 2: classify keys a folder by its path, in the storage command's namespace ----------------
def test_classify_twice_loads_from_the_cache_and_stores_one_model(synthetic_dir, tmp_path, image):
    store = str(tmp_path / "s.sqlite3")
    first = run_cli("classify", image, "--model-dir", str(synthetic_dir), "--path", store)
    second = run_cli("classify", image, "--model-dir", str(synthetic_dir), "--path", store)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    model_line = lambda out: next(line for line in out.splitlines() if line.startswith("model:"))  # noqa: E731
    assert "(network," in model_line(first.stdout)
    assert "(cache," in model_line(second.stdout)
    listed = run_cli("storage", "ls", "--path", store)  # default app / user, like classify's
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].split()[0] == tc.default_cache_key(synthetic_dir)


def test_classify_app_and_user_ids(synthetic_dir, tmp_path, image):
    store = str(tmp_path / "s.sqlite3")
    result = run_cli("classify", image, "--model-dir", str(synthetic_dir), "--path", store,
                     "--app-id", "app1", "--user-id", "bob")
    assert result.returncode == 0, result.stderr
    assert run_cli("storage", "ls", "--path", store).stdout.strip() == "no models cached"
    theirs = run_cli("storage", "ls", "--path", store, "--app-id", "app1", "--user-id", "bob")
    assert tc.default_cache_key(synthetic_dir) in theirs.stdout


def test_classify_reports_each_bad_image_and_classifies_the_good_ones(synthetic_dir, tmp_path, image):
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"not an image at all" * 10)
    folder = tmp_path / "pictures"
    folder.mkdir()
    missing = tmp_path / "missing.jpg"
    result = run_cli("classify", str(missing), image, str(folder), str(junk),
                     "--model-dir", str(synthetic_dir), "--path", str(tmp_path / "s.sqlite3"), "--topk", "2")
    assert result.returncode == 1
    err = result.stderr.strip().splitlines()
    assert len(err) == 3 and "Traceback" not in result.stderr
    assert "missing.jpg" in err[0] and "does not exist" in err[0]
    assert "is a folder, not an image" in err[1]
    assert "junk.jpg" in err[2] and "cannot be decoded" in err[2]
    assert image in result.stdout and result.stdout.count("%") == 2


def test_classify_checks_the_images_before_fetching_the_model(tmp_path):
    # the model URL would refuse the connection: the image error must come first, alone
    result = run_cli("classify", str(tmp_path / "nope.png"), "--model-url", "http://127.0.0.1:9/model.json",
                     "--path", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "nope.png" in result.stderr
    assert "127.0.0.1:9" not in result.stderr + result.stdout


def test_classify_topk_zero_is_a_usage_error(capsys, image):
    with pytest.raises(SystemExit) as exc:
        main(["classify", image, "--topk", "0"])
    assert exc.value.code == 2
    assert "--topk" in capsys.readouterr().err


# -- 3: storage ---------------------------------------------------------------------------------
def test_storage_key_given_to_info_ls_clear_is_a_usage_error(tmp_path, capsys):
    path = str(tmp_path / "s.sqlite3")
    store = tc.WxStorage(path)
    store.set("keep", 1)
    store.close()
    for action in ("info", "ls", "clear"):
        with pytest.raises(SystemExit) as exc:
            main(["storage", action, "a", "--path", path])
        assert exc.value.code == 2
        assert "takes no KEY" in capsys.readouterr().err
    assert tc.WxStorage(path).keys() == ["keep"]


@pytest.mark.parametrize("action", [["info"], ["ls"], ["rm", "k"], ["clear"]])
def test_storage_on_a_missing_file_says_so_and_creates_nothing(tmp_path, capsys, action):
    missing = tmp_path / "no" / "such" / "s.sqlite3"
    assert main(["storage", *action, "--path", str(missing)]) == 1
    err = capsys.readouterr().err
    assert f"there is no storage file at {missing}" in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()


# -- 4: serve -------------------------------------------------------------------------------------
def test_serve_port_out_of_range_is_a_usage_error(synthetic_dir):
    result = run_cli("serve", str(synthetic_dir), "--port", "99999")
    assert result.returncode == 2
    assert "0 to 65535" in result.stderr and "Traceback" not in result.stderr


def _start_serve(*args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "TFCACHE_NB_DEBUG"}
    return subprocess.Popen([*EXE, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def test_serve_on_all_interfaces_says_so_and_ctrl_c_stops_cleanly(synthetic_dir):
    proc = _start_serve(str(synthetic_dir), "--host", "0.0.0.0", "--port", "0")
    try:
        lines = [proc.stdout.readline() for _ in range(3)]
        assert lines[0].startswith("serving ") and "http://127.0.0.1:" in lines[0]
        assert "all interfaces" in lines[1] and "http://127.0.0.1:" in lines[1]
        assert "Ctrl-C" in lines[2]
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "stopped" in out and "interrupted" not in err and "Traceback" not in err


# -- 5: demo with a URL and a profile --------------------------------------------------------------
def test_demo_profile_with_a_url_warns_and_claims_no_simulation():
    result = run_cli("demo", "--model-url", "http://127.0.0.1:9/model.json", "--profile", "4g", "--no-classify")
    assert "through a simulated" not in result.stdout
    assert "--profile 4g is ignored" in result.stderr and "only to a locally served model" in result.stderr
    assert result.returncode == 1 and "connection refused" in result.stderr


# -- 7: main's error handling ---------------------------------------------------------------------
def test_an_unexpected_error_is_one_line_and_the_traceback_on_request(monkeypatch, capsys, tmp_path):
    import tfcache_nb.cli.storage_cmd as storage_cmd

    def boom(_args):
        raise OverflowError("int too large to convert")

    monkeypatch.setattr(storage_cmd, "run", boom)
    monkeypatch.delenv("TFCACHE_NB_DEBUG", raising=False)
    assert main(["storage", "info"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unexpected error" in err and "int too large" in err and "TFCACHE_NB_DEBUG=1" in err
    monkeypatch.setenv("TFCACHE_NB_DEBUG", "1")
    with pytest.raises(OverflowError):
        main(["storage", "info"])


def test_keyboard_interrupt_elsewhere_is_130(monkeypatch, capsys):
    import tfcache_nb.cli.storage_cmd as storage_cmd

    def interrupted(_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(storage_cmd, "run", interrupted)
    assert main(["storage", "info"]) == 130
    assert "interrupted" in capsys.readouterr().err


# -- 9: the README lists the options the commands have -------------------------------------------
def test_readme_command_line_section_lists_every_option():
    from tfcache_nb.cli.main import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Command line", 1)[1].split("\n## ", 1)[0]
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name, parser in sub.choices.items():
        usage = next(line for line in section.splitlines() if line.startswith(f"tfcache-nb {name} "))
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag != "--help":
                    assert f"[{flag}" in usage or f"| {flag}" in usage, \
                        f"README's command line section misses {name} {flag}"
