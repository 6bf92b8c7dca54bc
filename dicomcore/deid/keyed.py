"""Keyed replacements: the same input and key always give the same output, with no table.

Every replacement is an HMAC-SHA256 of the original value under the caller's secret key,
with a label per use (so a UID and a patient ID that happen to be equal give unrelated
outputs). Without the key the originals cannot be found again; with another key every
output differs. So two exports of one study made months apart, on two machines, link
(same new UIDs, same pseudonym, same date offset), and nothing has to be stored.

- `Keyed.uid(uid)`: ``2.25.`` + the integer of a UUID made from the keyed hash
  (`dicomcore.uid.generate_uid` with the hash as entropy source): at most 44 characters.
- `Keyed.patient_id(value)` and `Keyed.patient_name(value)`: a pseudonym of the patient,
  ``ANON`` + 16 hexadecimal digits, and ``ANONYMOUS^`` + the same code as a name.
- `Keyed.date_offset(patient)`: whole days, 1 to 3650, every date of the patient goes back
  by; `shift_date` and `shift_datetime` apply it (times, and DT time zones, kept).

>>> keyed = Keyed(b"secret")
>>> keyed.uid("1.2.3") == keyed.uid("1.2.3") != Keyed(b"other").uid("1.2.3")
True
>>> shift_date("20240301", 1)
'20240229'
>>> shift_datetime("20240301120000.5+0100", 1)
'20240229120000.5+0100'
"""

from __future__ import annotations

import datetime
import hmac

from ..uid import generate_uid

__all__ = ["Keyed", "shift_date", "shift_datetime"]

MAX_OFFSET_DAYS = 3650
MAX_CACHED_UIDS = 100_000
_ONE_DAY = datetime.timedelta(days=1)


class Keyed:
    """Keyed, deterministic replacement values (see the module docstring)."""

    def __init__(self, key: bytes | str) -> None:
        if isinstance(key, str):
            key = key.encode("utf-8")
        if not isinstance(key, bytes) or not key:
            raise ValueError("de-identification needs a non-empty secret key")
        self._key = key
        self._uids: dict[str, str] = {}

    def digest(self, label: str, value: str) -> bytes:
        """HMAC-SHA256 of `value` under the key, for the use `label`."""
        message = label.encode("ascii") + b"\0" + value.encode("utf-8", "surrogateescape")
        return hmac.digest(self._key, message, "sha256")

    def uid(self, uid: str) -> str:
        """The new UID of `uid`, cached: the files of a study repeat its study, series and
        frame of reference UIDs, so one `Keyed` used for many files computes each once."""
        new = self._uids.get(uid)
        if new is None:
            if len(self._uids) >= MAX_CACHED_UIDS:
                self._uids.clear()
            new = str(generate_uid("2.25.", [self.digest("uid", uid).hex()]))
            self._uids[uid] = new
        return new

    def _code(self, label: str, value: str) -> str:
        return self.digest(label, value)[:8].hex().upper()

    def patient_id(self, value: str) -> str:
        """The pseudonym Patient ID of a patient identified by `value`."""
        return "ANON" + self._code("patient", value)

    def patient_name(self, value: str) -> str:
        """The pseudonym Patient's Name of the patient identified by `value` (the same code
        as `patient_id(value)`)."""
        return "ANONYMOUS^" + self._code("patient", value)

    def date_offset(self, patient: str) -> int:
        """Days (1 to 3650) that every date and datetime of this patient goes back by."""
        number = int.from_bytes(self.digest("date-offset", patient)[:8], "big")
        return number % MAX_OFFSET_DAYS + 1


def _parse_date(text: str) -> datetime.date:
    return datetime.date(int(text[0:4]), int(text[4:6]), int(text[6:8]))


def shift_date(text: str, days: int) -> str:
    """A DA value (``YYYYMMDD``, or ACR-NEMA ``YYYY.MM.DD``) `days` days earlier.

    ValueError if it is not a calendar date or the result would fall before year 1.
    """
    digits = text.strip().replace(".", "") if len(text.strip()) == 10 else text.strip()
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"{text!r} is not a date")
    return (_parse_date(digits) - days * _ONE_DAY).strftime("%Y%m%d").zfill(8)


def shift_datetime(text: str, days: int) -> str:
    """A DT value `days` days earlier: the date part moves, the time and zone are kept.

    A DT of only ``YYYY`` or ``YYYYMM`` is taken as its first day and written back to the
    same precision. ValueError if it is not a date and time.
    """
    text = text.strip()
    zone = ""
    for sign in "+-":
        if sign in text[4:]:
            cut = text.index(sign, 4)
            text, zone = text[:cut], text[cut:]
    date_part, rest = text[:8], text[8:]
    precision = len(date_part)
    if precision not in (4, 6, 8) or not date_part.isdigit():
        raise ValueError(f"{text!r} is not a date and time")
    full = date_part + "0101"[precision - 4:] if precision < 8 else date_part
    shifted = (_parse_date(full) - days * _ONE_DAY).strftime("%Y%m%d").zfill(8)
    return shifted[:precision] + rest + zone
