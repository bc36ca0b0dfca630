"""The chart panel component's files: one folder per user, page and Plotly version,
made once and shared by every server (a copy per server start, left behind by
every killed server, had filled /tmp with gigabytes)."""
import threading

from mbcore.ui import chart_panel


def test_every_server_serves_the_same_complete_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    found = []
    starts = [threading.Thread(target=lambda: found.append(chart_panel._served_folder()))
              for _ in range(4)]           # servers starting at the same moment
    for t in starts:
        t.start()
    for t in starts:
        t.join()
    assert len(set(found)) == 1
    folder = tmp_path / "mbcore" / found[0].rsplit("/", 1)[1]
    assert (folder / "index.html").read_bytes() == chart_panel._PAGE.read_bytes()
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000
    assert [p.name for p in (tmp_path / "mbcore").iterdir()] == [folder.name]   # no staging left
    assert chart_panel._served_folder() == found[0]
