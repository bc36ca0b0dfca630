"""A Streamlit session without a browser: a websocket client of a running server.

It speaks what the browser speaks on ws://HOST:PORT/_stcore/stream (protobuf
BackMsg up, ForwardMsg down, classes from the installed streamlit.proto): it
asks for a page with its query string, finds a button among the page's
elements, presses it (a trigger in the widget states of a rerun), reruns the
fragments the server asks to be rerun on a timer (st.fragment(run_every=...)
polls, as a browser's timer would) and reads the deltas until the page shows
what the caller waits for. Much lighter than a browser, so a load test can
open tens of sessions against real servers, over the network.
"""
from __future__ import annotations

import asyncio
import time

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect


class PageError(RuntimeError):
    """The page showed a traceback, or the server went away."""


class Session:
    """One browser tab of `page` at `base` (http://host:port) with `query`."""

    def __init__(self, base: str, page: str, query: str = ""):
        self.url = base.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.page, self.query = page, query
        self.buttons: dict[str, str] = {}       # widget id -> label
        self.metrics: dict[str, str] = {}       # label -> value, as last drawn
        self.errors: list[str] = []             # st.error texts, as drawn
        self.exception = ""
        self.timers: dict[str, asyncio.Task] = {}
        self.runs_finished = 0
        self.busy = False                       # a run asked for has not finished yet
        self.page_hash = ""
        self.progress = ""                      # the last progress bar's text
        self._ws = None

    # ------------------------------------------------------------ public ---
    async def open(self, timeout: float = 60.0) -> "Session":
        """Connect and wait for the page's first whole run."""
        self._ws = await connect(self.url, subprotocols=["streamlit"], max_size=None,
                                 open_timeout=timeout, ping_interval=None)
        self._reader = asyncio.create_task(self._read())
        await self.rerun()
        await self.until(lambda: self.runs_finished >= 1, timeout)
        return self

    async def close(self) -> None:
        self._stop_timers()
        if self._ws is not None:
            await self._ws.close()
        if getattr(self, "_reader", None) is not None:
            self._reader.cancel()

    def button(self, key_part: str) -> str:
        """The widget id of the drawn button whose key contains `key_part`."""
        found = [wid for wid in self.buttons if key_part in wid]
        if not found:
            raise PageError(f"no button {key_part!r} on the page (buttons: "
                            f"{sorted(self.buttons.values())})")
        return found[0]

    async def press(self, key_part: str) -> None:
        await self.rerun(trigger=self.button(key_part))

    async def rerun(self, trigger: str = "", fragment: str = "") -> None:
        msg = BackMsg()
        state = msg.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        if self.page_hash:       # the page's own, from the navigation message
            state.page_script_hash = self.page_hash
        if trigger:
            widget = state.widget_states.widgets.add()
            widget.id, widget.trigger_value = trigger, True
        if fragment:
            state.fragment_id, state.is_auto_rerun = fragment, True
        self.busy = True
        await self._ws.send(msg.SerializeToString())

    async def until(self, done, timeout: float) -> None:
        end = time.monotonic() + timeout
        while not done():
            if self.exception:
                raise PageError(self.exception)
            if self._reader.done():
                raise PageError(f"the server closed the session ({self._reader.exception()!r})")
            if time.monotonic() > end:
                raise TimeoutError(f"the page did not get there in {timeout:.0f} s (progress: "
                                   f"{self.progress!r}, {self.runs_finished} page runs, "
                                   f"{len(self.timers)} timers)")
            await asyncio.sleep(0.05)

    # --------------------------------------------------------- internals ---
    async def _read(self) -> None:
        async for raw in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "new_session":   # a run starts, also one the server asked for
                self.busy = True            # (st.rerun): no timed rerun may cut it short
                if not msg.metadata.run.fragment_ids:
                    self._stop_timers()     # a whole page run: as the browser does, its
                    # fragments' timers end (it sends auto_rerun again for those it keeps)
            elif kind == "navigation":     # which page of st.navigation this session is on
                self.page_hash = msg.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element)
            elif kind == "auto_rerun":
                self._every(msg.auto_rerun.fragment_id, msg.auto_rerun.interval)
            elif kind == "stop_auto_rerun":
                for fragment in msg.stop_auto_rerun.fragment_ids:
                    if fragment in self.timers:
                        self.timers.pop(fragment).cancel()
            elif kind == "script_finished":
                self.busy = False
                if msg.script_finished in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                           ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
                    self.runs_finished += 1     # a whole page run (not a fragment's)

    def _element(self, element) -> None:
        kind = element.WhichOneof("type")
        if kind == "button":
            self.buttons[element.button.id] = element.button.label
        elif kind == "progress":
            self.progress = element.progress.text
        elif kind == "metric":
            self.metrics[element.metric.label] = element.metric.body
        elif kind == "alert" and element.alert.format == element.alert.ERROR:
            self.errors.append(element.alert.body)
        elif kind == "exception":
            self.exception = f"{element.exception.type}: {element.exception.message}"

    def _stop_timers(self) -> None:
        for task in self.timers.values():
            task.cancel()
        self.timers.clear()

    def _every(self, fragment: str, interval: float) -> None:
        """Rerun `fragment` every `interval` seconds, as the browser's timer does."""
        async def tick():
            while True:
                await asyncio.sleep(interval)
                while self.busy:          # like the browser: no new run while one runs
                    await asyncio.sleep(0.02)
                await self.rerun(fragment=fragment)
        if fragment in self.timers:
            self.timers[fragment].cancel()
        self.timers[fragment] = asyncio.create_task(tick())
