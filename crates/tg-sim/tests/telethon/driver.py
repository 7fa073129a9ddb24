"""Drives tg-sim with Telethon, a client no one on this project wrote.

Run by `crates/tg-sim/tests/telethon/main.rs` inside a venv holding the pinned Telethon.
Reads its inputs from the environment (the string session never appears in argv or output):

    TGSIM_SESSION     Telethon string session provisioned by tg-sim
    TGSIM_TRANSPORT   full | abridged | intermediate | padded_intermediate
    TGSIM_GROUP       username of a public group to join, post to and read back
    TGSIM_FLOOD_GROUP username of a second group; joining it exceeds the join budget
    TGSIM_API_ID / TGSIM_API_HASH

Prints one JSON object per step: {"step", "ok", "result"} or, for the step that failed,
{"step", "ok": false, "error", "traceback"}, then exits 1.
"""

import asyncio
import json
import os
import sys
import traceback

import telethon
from telethon import TelegramClient, errors, functions, types
from telethon.network.connection import (
    ConnectionTcpAbridged,
    ConnectionTcpFull,
    ConnectionTcpIntermediate,
)
from telethon.network.connection.connection import Connection
from telethon.network.connection.tcpintermediate import RandomizedIntermediatePacketCodec
from telethon.sessions import StringSession


class PaddedIntermediateCodec(RandomizedIntermediatePacketCodec):
    """Telethon's padded codec, sent with the plain 0xdddddddd tag (Telethon itself uses it
    only inside obfuscation)."""

    tag = b"\xdd\xdd\xdd\xdd"


class ConnectionTcpPaddedIntermediate(Connection):
    packet_codec = PaddedIntermediateCodec


CONNECTIONS = {
    "full": ConnectionTcpFull,
    "abridged": ConnectionTcpAbridged,
    "intermediate": ConnectionTcpIntermediate,
    "padded_intermediate": ConnectionTcpPaddedIntermediate,
}


class StepFailed(Exception):
    pass


def report(step, result):
    print(json.dumps({"step": step, "ok": True, "result": result}), flush=True)


async def step(name, action):
    try:
        result = await action()
    except Exception as error:  # every failure is reported with its traceback
        print(
            json.dumps(
                {
                    "step": name,
                    "ok": False,
                    "error": f"{type(error).__name__}: {error}",
                    "traceback": traceback.format_exc(),
                }
            ),
            flush=True,
        )
        raise StepFailed(name) from error
    report(name, result)
    return result


def expect(condition, message):
    if not condition:
        raise AssertionError(message)


async def drive(env):
    client = TelegramClient(
        StringSession(env["TGSIM_SESSION"]),
        int(env["TGSIM_API_ID"]),
        env["TGSIM_API_HASH"],
        connection=CONNECTIONS[env["TGSIM_TRANSPORT"]],
        flood_sleep_threshold=0,
        request_retries=1,
        connection_retries=0,
        receive_updates=True,
    )
    report("telethon", {"version": telethon.__version__, "layer": telethon.tl.alltlobjects.LAYER})
    group = env["TGSIM_GROUP"]
    state = {}

    async def connect():
        await client.connect()
        expect(client.is_connected(), "not connected after connect()")
        return {"authorized": await client.is_user_authorized()}

    async def get_state():
        got = await client(functions.updates.GetStateRequest())
        state["pts"], state["date"], state["qts"] = got.pts, got.date, got.qts
        return {"pts": got.pts, "seq": got.seq}

    async def get_difference():
        got = await client(
            functions.updates.GetDifferenceRequest(
                pts=state["pts"], date=state["date"], qts=state["qts"]
            )
        )
        return type(got).__name__

    async def get_me():
        me = await client.get_me()
        expect(me is not None and me.is_self, f"get_me answered {me!r}")
        state["me"] = me.id
        return {"id": me.id, "username": me.username}

    async def get_full_user():
        full = await client(functions.users.GetFullUserRequest(types.InputUserSelf()))
        expect(full.full_user.id == state["me"], "getFullUser answered another user")
        return {"id": full.full_user.id}

    async def resolve():
        entity = await client.get_entity(group)
        expect(isinstance(entity, types.Channel), f"{group} resolved to {entity!r}")
        state["group"] = entity
        return {"id": entity.id, "title": entity.title, "left": entity.left}

    async def join():
        updates = await client(functions.channels.JoinChannelRequest(state["group"]))
        return type(updates).__name__

    async def send():
        text = f"hello from Telethon {telethon.__version__} over {env['TGSIM_TRANSPORT']}"
        message = await client.send_message(state["group"], text)
        expect(message.id > 0 and message.message == text, f"send answered {message!r}")
        state["sent"] = message
        return {"id": message.id}

    async def read_back():
        [message] = await client.get_messages(state["group"], limit=1)
        sent = state["sent"]
        expect(
            (message.id, message.message, message.sender_id) == (sent.id, sent.message, state["me"]),
            f"read back {message.id} {message.message!r} from {message.sender_id}",
        )
        return {"id": message.id, "text": message.message}

    async def get_channel_difference():
        got = await client(
            functions.updates.GetChannelDifferenceRequest(
                channel=state["group"],
                filter=types.ChannelMessagesFilterEmpty(),
                pts=state["sent"].id - 1,
                limit=10,
            )
        )
        ids = [message.id for message in getattr(got, "new_messages", [])]
        expect(state["sent"].id in ids, f"channel difference {type(got).__name__} lacks the post")
        return {"type": type(got).__name__, "pts": got.pts, "new": ids}

    async def get_dialogs():
        dialogs = await client.get_dialogs()
        ids = [dialog.id for dialog in dialogs]
        expect(
            any(dialog.entity.id == state["group"].id for dialog in dialogs),
            f"dialogs {ids} lack the joined group",
        )
        return {"dialogs": len(dialogs), "top": [dialog.message.id for dialog in dialogs if dialog.message]}

    async def flood_wait():
        try:
            await client(functions.channels.JoinChannelRequest(env["TGSIM_FLOOD_GROUP"]))
        except errors.FloodWaitError as error:
            return {"error": type(error).__name__, "seconds": error.seconds}
        raise AssertionError("the second join was not refused with a FloodWaitError")

    async def disconnect():
        await client.disconnect()
        return {"connected": client.is_connected()}

    steps = [
        connect,
        get_state,
        get_difference,
        get_me,
        get_full_user,
        resolve,
        join,
        send,
        read_back,
        get_channel_difference,
        get_dialogs,
        flood_wait,
        disconnect,
    ]
    for action in steps:
        await step(action.__name__, action)


def main():
    try:
        asyncio.run(drive(os.environ))
    except StepFailed:
        sys.exit(1)


if __name__ == "__main__":
    main()
