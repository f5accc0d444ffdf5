"""Cues of *when* and *how* a message speaks of danger, as features for the danger model.

A frightening word means little on its own: "năm ngoái con bị tống tiền, giờ ổn rồi" is past,
"đọc báo thấy vụ…" is news, "nếu có người lạ…" is hypothetical, "dấu hiệu… là gì" is general;
"đang", "vừa", "tối nay", "chưa về" say it is happening now. Each cue family becomes one feature,
so the model learns it once instead of once per word, and the combination "framed as not-now
and no sign of now" becomes a feature of its own. Patterns run on folded syllables joined by
single spaces (`\\b` word edges; no unbounded gaps).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CUES: dict[str, str] = {
    "past": r"\b(nam ngoai|nam truoc|hoi truoc|hoi xua|hoi nam|hoi lop|hoi tet|hom truoc|thang truoc|tuan truoc"
    r"|tung|da on|gio on|on roi|on hon|da xong|xong roi|da qua|tim ve|tim thay roi|da bao cong an|da dieu tri"
    r"|da di kham|giai doan|truoc day|ngay xua|lan truoc)\b",
    "news": r"\b(doc bao|xem bao|bao dua tin|tren bao|bai bao|thoi su|tin tuc|xem tin|doc tin|tren ti vi|tren tivi"
    r"|nghe tin|dua tin|share khap|lan truyen|phim|truyen|manga|bai van|dong vai|kich ban|tieu thuyet|bai hat)\b",
    "hypothetical": r"\b(neu(?! (\w+ ){0,2}(khong|ko|k)\b)|lo sau nay|lo mai|gia su|trong truong hop|phong khi|sau nay|mai mot|lo mot ngay"
    r"|lam sao de|nhu the nao de|can lam gi de|co nen)\b",
    "general": r"\b(dau hieu|la gi|xu phat|luat|quy trinh|quy dinh|thu doan|cach phong|cach nhan biet|nhan biet"
    r"|bao nhieu tuoi|thong thuong|noi chung)\b",
    # "dang" is đang (now) but also đăng (to post, to register): not before what one posts.
    "now": r"\b(bay gio|gio nay|ngay bay gio|dang(?! (ky|ki|nhap|bai|anh|hinh|len|tai|clip|video|story|tin|status))|vua|vua moi|toi nay|dem nay|chieu nay|sang nay|hom nay|luc nay"
    r"|sap|chua ve|khong ve|tu hom qua|tu toi qua|tu sang|tu chieu|ngay lap tuc|cuu|gap lam|nhanh len)\b",
    "alone": r"\b(mot minh|khong co ai|vang nha|di vang|di lam xa|o nha mot)\b",
    "stranger": r"\b(nguoi la|nguoi quen (tren|qua) mang|quen (tren|qua) (mang|game|facebook|zalo|tiktok)"
    r"|ban (tren|qua) mang|ban game|tai khoan la|acc la|ong (ay|kia|nay)|chu la|thanh nien la|dan ong la)\b",
    "threat": r"\b(doa|de doa|neu khong|khong thi|bat phai|ep|doi tien|chuyen tien|tung|phat tan|gui cho ca)\b",
    "farewell": r"\b(tam biet|vinh biet|xin loi (moi nguoi|bo me|ba|me|ca nha)|lan cuoi|di xa|khong quay lai"
    r"|song tot|dung tim|de lai thu|thu de lai|cho het|khong can nua|ket thuc|gia nang)\b",
    "locked": r"\b(khoa trai|khoa cua|khong mo cua|khong tra loi|khong nghe may|tat may|khong bat may|chan het)\b",
    "hurt": r"\b(mau|chay mau|bam tim|vet bam|ngat|bat tinh|lim dim|li bi|run|khoc thet|keu cuu)\b",
}
_COMPILED = {name: re.compile(pattern) for name, pattern in CUES.items()}
NOT_NOW = ("past", "news", "hypothetical", "general")


def cues(folded: Sequence[str]) -> list[str]:
    """The cue families present in a message, as feature names ("#now", "#past", …)."""
    text = " ".join(folded)
    found = [name for name, pattern in _COMPILED.items() if pattern.search(text)]
    names = [f"#{name}" for name in found]
    framed = any(name in found for name in NOT_NOW)
    if framed and "now" not in found:
        names.append("#framed_not_now")
    if "now" in found and not framed:
        names.append("#plainly_now")
    return names
