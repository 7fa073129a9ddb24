"""Writes session files and strings with the real Telethon, Pyrogram and kurigram
libraries, offline (no connection is made: the storage classes are filled the way
the libraries fill them after a login), and prints a JSON manifest of what each
artifact holds, for tgfleet's import tests.

Usage: python make_sessions.py telethon|pyrogram|kurigram OUT_DIR

Run with the library importable (a venv, or PYTHONPATH pointing at a `pip install
--target` folder). Every artifact's auth key is derived from its label, so the test
can compare what tgfleet imports with what the library wrote.
"""

import asyncio
import hashlib
import json
import sys
from pathlib import Path


def key_of(label):
    """A 256-byte auth key derived from the label."""
    out = b""
    counter = 0
    while len(out) < 256:
        out += hashlib.sha256(f"{label}:{counter}".encode()).digest()
        counter += 1
    return out[:256]


def entry(label, kind, dc, address, user_id=None, phone=None, refused=None):
    return {
        "label": label,
        "artifact": kind,
        "dc_id": dc,
        "address": address,
        "key_hex": key_of(label).hex(),
        "user_id": user_id,
        "phone": phone,
        "refused": refused,
    }


def telethon(out):
    import telethon
    from telethon.crypto import AuthKey
    from telethon.sessions import SQLiteSession, StringSession
    from telethon.tl import types

    version = telethon.__version__
    manifest = []

    def save_self(session, user):
        # What TelegramClient does after a login: the user's own row, and the
        # id-0 row whose access_hash is the user's id (_save_states_and_entities).
        session.process_entities(types.contacts.ResolvedPeer(None, [user], []))
        session.process_entities(
            types.contacts.ResolvedPeer(None, [types.InputPeerUser(0, user.id)], [])
        )

    def file_session(label, dc, ip, port, user=None):
        session = SQLiteSession(str(out / label))
        session.set_dc(dc, ip, port)
        session.auth_key = AuthKey(key_of(label))
        if user is not None:
            save_self(session, user)
        session.save()
        session.close()

    def string_session(label, dc, ip, port):
        session = StringSession()
        session.set_dc(dc, ip, port)
        session.auth_key = AuthKey(key_of(label))
        (out / f"{label}.txt").write_text(session.save() + "\n")

    user = types.User(id=6100000001, access_hash=111, phone="79161234501", is_self=True)
    file_session("tt_file", 2, "149.154.167.51", 443, user)
    manifest.append(entry("tt_file", "Telethon file", 2, "149.154.167.51:443",
                          6100000001, "79161234501"))
    file_session("tt_file_fresh", 4, "149.154.167.91", 443)
    manifest.append(entry("tt_file_fresh", "Telethon file", 4, "149.154.167.91:443"))
    string_session("tt_string", 5, "91.108.56.130", 443)
    manifest.append(entry("tt_string", "Telethon string", 5, "91.108.56.130:443"))
    string_session("tt_string_v6", 1, "2001:b28:f23d:f001::a", 443)
    manifest.append(entry("tt_string_v6", "Telethon string", 1,
                          "[2001:b28:f23d:f001::a]:443"))
    bot = types.User(id=6100000009, access_hash=9, bot=True, username="corpus_bot", is_self=True)
    file_session("tt_bot", 2, "149.154.167.51", 443, bot)
    manifest.append(entry("tt_bot", "Telethon file", 2, "", refused="bot session"))
    file_session("tt_test_file", 2, "149.154.167.40", 80)
    manifest.append(entry("tt_test_file", "Telethon file", 2, "", refused="test servers"))
    string_session("tt_test_string", 2, "149.154.167.40", 80)
    manifest.append(entry("tt_test_string", "Telethon string", 2, "", refused="test servers"))
    return version, manifest


async def pyrogram_family(out, fork):
    import pyrogram

    version = pyrogram.__version__
    manifest = []
    prefix = "kg" if fork else "pg"
    file_kind = "kurigram file" if fork else "Pyrogram file"
    if fork:
        from pyrogram.storage import SQLiteStorage

        def file_storage(label):
            return SQLiteStorage(label, workdir=out)

        def memory_storage(label):
            return SQLiteStorage(label, workdir=out, in_memory=True)
    else:
        from pyrogram.storage import FileStorage, MemoryStorage

        def file_storage(label):
            return FileStorage(label, out)

        def memory_storage(label):
            return MemoryStorage(label)

    async def fill(storage, label, dc, user_id, phone, is_bot=False, test_mode=False):
        await storage.open()
        await storage.dc_id(dc)
        await storage.api_id(2040)
        await storage.test_mode(test_mode)
        await storage.auth_key(key_of(label))
        await storage.user_id(user_id)
        await storage.is_bot(is_bot)
        await storage.date(0)
        if fork:
            await storage.server_address("149.154.167.92" if not test_mode else "149.154.167.40")
            await storage.port(443 if not test_mode else 80)
            await storage.update_peers([(user_id, 222, "bot" if is_bot else "user", phone)])
        else:
            await storage.update_peers([(user_id, 222, "bot" if is_bot else "user", None, phone)])

    async def write_file(label, dc, user_id, phone, **flags):
        storage = file_storage(label)
        await fill(storage, label, dc, user_id, phone, **flags)
        await storage.save()
        await storage.close()

    async def write_string(label, dc, user_id, **flags):
        storage = memory_storage(label)
        await fill(storage, label, dc, user_id, None, **flags)
        string = await storage.export_session_string()
        await storage.close()
        (out / f"{label}.string").write_text(string + "\n")

    base = 6200000000 if fork else 6300000000
    await write_file(f"{prefix}_file", 4, base + 1, "4915112345601")
    manifest.append(entry(f"{prefix}_file", file_kind, 4,
                          # Pyrogram keeps no address (None: the importer's choice).
                          "149.154.167.92:443" if fork else None,
                          base + 1, "4915112345601"))
    await write_string(f"{prefix}_string", 3, base + 2)
    manifest.append(entry(f"{prefix}_string", "Pyrogram string", 3, None, base + 2))
    await write_file(f"{prefix}_bot", 2, base + 3, None, is_bot=True)
    manifest.append(entry(f"{prefix}_bot", file_kind, 2, "", refused="bot session"))
    await write_file(f"{prefix}_test", 2, base + 4, "9996621234", test_mode=True)
    manifest.append(entry(f"{prefix}_test", file_kind, 2, "", refused="test servers"))
    await write_string(f"{prefix}_bot_string", 2, base + 5, is_bot=True)
    manifest.append(entry(f"{prefix}_bot_string", "Pyrogram string", 2, "",
                          refused="bot session"))
    await write_string(f"{prefix}_test_string", 2, base + 6, test_mode=True)
    manifest.append(entry(f"{prefix}_test_string", "Pyrogram string", 2, "",
                          refused="test servers"))
    return version, manifest


def main():
    library, out = sys.argv[1], Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    if library == "telethon":
        version, manifest = telethon(out)
    else:
        version, manifest = asyncio.run(pyrogram_family(out, library == "kurigram"))
    print(json.dumps({"library": library, "version": version, "artifacts": manifest}))


if __name__ == "__main__":
    main()
