"""One unit convention: one formatter for every size, and one figure for one quantity everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tfcache_nb
from tfcache_nb._units import exact_bytes, human_bytes
from tfcache_nb.cli.main import main
from tfcache_nb.io.management import list_models
from tfcache_nb.viz.html import model_info_html, usage_html
from tfcache_nb.viz.storage_usage import draw_storage, namespace_usage

PACKAGE = Path(tfcache_nb.__file__).parent

#: places that compute with 1024 on purpose, not to show a size (file, text on the line)
ALLOWED = {
    ("storage/base.py", "math.ceil(self.current_size / 1024)"),   # WeChat's currentSize field, in KB
    ("storage/base.py", "math.ceil(self.limit_size / 1024)"),     # WeChat's limitSize field
    ("storage/base.py", 'return f"{n // (1024 * 1024)}Mb"'),      # WeChat's own error text: "10Mb"
    ("storage/base.py", 'return f"{n // 1024}Kb"'),
}
#: a size computed by hand (a division by a unit) or a figure followed by a unit name
SECOND_FORMATTER = re.compile(
    r"/\s*\(?\s*(1024|1e3|1e6|1_000_000|1000000|MB|KB|MIB|KIB)\b"
    r"|\}\s*(B|KB|kB|MB|GB|KiB|MiB|GiB)\b")


def test_the_formatter():
    assert human_bytes(864) == "864 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(1_902_176) == "1.81 MiB"         # MobileNet 0.25's weights
    assert human_bytes(10 * 1024 * 1024) == "10 MiB"    # WeChat's cap
    assert human_bytes(10_407_904) == "9.93 MiB"        # MobileNet 0.75's weights
    assert human_bytes(None) == "-" and human_bytes(float("nan")) == "-"
    assert exact_bytes(1_902_176) == "1,902,176 bytes"


def test_no_second_size_formatter_in_the_package():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel == "_units.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if SECOND_FORMATTER.search(code) and not any(rel == f and text in line for f, text in ALLOWED):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert not found, "sizes formatted outside tfcache_nb/_units.py:\n" + "\n".join(found)


def test_one_model_weights_one_figure_in_cli_html_and_chart(two_users, capsys):
    alice, _bob, saved, _failed = two_users
    (key, info), = list_models(alice).items()
    figure = human_bytes(info.weight_data_bytes)
    assert re.fullmatch(r"\d+\.\d\d MiB", figure), figure

    assert main(["storage", "ls", "--path", str(alice.path), "--app-id", alice.app_id,
                 "--user-id", alice.user_id]) == 0
    cli = capsys.readouterr().out
    usage = namespace_usage(alice)
    fig = draw_storage([usage])
    chart_text = " ".join(t.get_text() for ax in fig.axes for t in ax.texts)
    views = {"storage ls": cli, "model info HTML": model_info_html(info, name=key),
             "storage table HTML": usage_html(usage), "storage chart": chart_text}
    for where, text in views.items():
        sizes = re.findall(r"\d[\d.,]* (?:B|KiB|MiB|GiB|KB|MB|GB)\b", text)
        assert figure in sizes, f"{where}: {figure} not among {sizes}"
        assert not any(s.endswith((" KB", " MB", " GB")) for s in sizes), f"{where}: {sizes}"


def test_readme_gives_sizes_in_one_unit():
    readme = (PACKAGE.parent / "README.md")
    if not readme.exists():
        pytest.skip("README.md is not beside the package (installed elsewhere)")
    decimal = re.findall(r"\b\d+(?:\.\d+)? (?:MB|KB|kB|GB)\b", readme.read_text())
    assert not decimal, f"README sizes in MB/KB instead of MiB/KiB: {decimal}"
