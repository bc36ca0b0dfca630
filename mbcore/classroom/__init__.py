"""Class rooms: a lecturer opens a room, students join with its short code and
answer the current question; the store keeps it all (no Streamlit here)."""
from mbcore.classroom.store import (NotPresenter, Room, RoomError, RoomStore, SqliteRoomStore,
                                    default_store, normalise_code)

__all__ = ["NotPresenter", "Room", "RoomError", "RoomStore", "SqliteRoomStore",
           "default_store", "normalise_code"]
