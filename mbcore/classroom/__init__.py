"""Class rooms: a lecturer opens a room, students join with its short code and
answer the current question; the store keeps it all (no Streamlit here)."""
from mbcore.classroom.store import (NotPresenter, Position, Room, RoomError, RoomStore,
                                    SqliteRoomStore, default_store, normalise_code)
from mbcore.classroom.redis_store import RedisRoomStore, store_for_engine

__all__ = ["NotPresenter", "Position", "Room", "RoomError", "RoomStore", "SqliteRoomStore",
           "default_store", "normalise_code", "RedisRoomStore", "store_for_engine"]
