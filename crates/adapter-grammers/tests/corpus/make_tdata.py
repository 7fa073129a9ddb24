"""Writes a Telegram Desktop `tdata` folder with opentele (an independent Python
implementation of Telegram Desktop's storage, on PyQt5's QDataStream and TgCrypto's
AES-IGE), offline, and prints a JSON manifest of its accounts.

Usage: python make_tdata.py OUT_DIR PASSCODE ACCOUNTS
  PASSCODE: the local passcode ("" for none); ACCOUNTS: how many (1-3).

Each account's auth key is derived from its index, as make_sessions.py does.
"""

import json
import sys

from make_sessions import key_of
from opentele.api import APIData
from opentele.td import Account, AuthKey, AuthKeyType, TDesktop
from opentele.td.configs import DcId


def main():
    out, passcode, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    # A plain APIData: opentele's API subclasses never compare equal to themselves.
    api = APIData(2040, "b18441a1ff607e10a989891a5462e627", "Desktop", "Windows 10",
                  "4.8.1 x64", "en", "en-US", "tdesktop")
    # Performance mode skips giving the accounts the generated local key.
    TDesktop.PerformanceMode(False)
    desktop = TDesktop(api=api)
    manifest = []
    for index, dc in zip(range(count), [2, 4, 5]):
        user_id = 6400000001 + index
        label = f"tdata_{index}"
        account = Account(desktop, api=desktop.api, index=index)
        key = AuthKey(key_of(label), AuthKeyType.ReadFromFile, DcId(dc))
        account._setMtpAuthorizationCustom(DcId(dc), user_id, [key])
        desktop._addSingleAccount(account)
        manifest.append({"index": index, "dc_id": dc, "user_id": user_id,
                         "key_hex": key_of(label).hex()})
    desktop.SaveTData(out, passcode or None)
    print(json.dumps({"accounts": manifest}))


if __name__ == "__main__":
    main()
