"""Guard against surface noise turning a harmless word into an explicit one.

Typos are random, so in a large run they will now and then land on a real explicit word (Dutch
"hier" with one wrong key becomes "hoer"). ``render`` checks each word that noise changed
against this block list and falls back to the un-noised text on a hit. The list holds only
BLAKE2b digests of the terms of the test lexicon (tests/synth/explicit_terms.py), so the package
carries no explicit words in plain text; a test keeps the two in step.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache

_WORD = re.compile(r"\w+")

#: digests of whole explicit words
WORD_DIGESTS = frozenset(
    {
        "00f93eb5a130f698",
        "01d61028fbe55657",
        "02017c6842d33e9d",
        "04284f001d39baa4",
        "046d4c33c792cabd",
        "071e8dc801d70b1d",
        "07c338c50e7a795b",
        "0805118c988f2240",
        "08556e217762971d",
        "08b6815a3b34a5ba",
        "0997cb77e347f43b",
        "0ab1272e285c428a",
        "0bb8911a63decec2",
        "0c3964180e0ac490",
        "0d218547f1d15d6e",
        "0f99faa7c7cac74c",
        "116bd40618b439f8",
        "11ecbf7a4e69139a",
        "13603cbb86ef6fc0",
        "1d824a0ec9c50f46",
        "1e0a38da1ac707dc",
        "1e25246e604f34ff",
        "1f28d44d7d7fd64e",
        "237544e8358940a0",
        "27167250fbf8e3ac",
        "2818a551b6e60292",
        "286f716f20ea0879",
        "29e7981608d7cafb",
        "2ab31173ef9e549c",
        "2b0013e26af827d1",
        "2bfd9f032b1f98c6",
        "2d7928bf138e265c",
        "2e0f4e9e8904b703",
        "3042df6681254a4b",
        "31798bccd548177e",
        "321ce9dcff74b998",
        "3323acf0482eca63",
        "34483879f09f7dd8",
        "35107230d09a77fb",
        "364bb98528aa46ba",
        "379dbe762f6713ea",
        "39f3fe748c409776",
        "3a0a84a4e2e0a235",
        "3af2560cae08f3ab",
        "3bb737110e1ec558",
        "3c42bb2d54b686a9",
        "3dc27129727d124b",
        "3de0ace0383b837f",
        "3e7d22358c9a2a37",
        "3f64a5667c7fb6d4",
        "3f9c9c619145a2ef",
        "40177661c26c9529",
        "41b69464b893b393",
        "4393d7455006925e",
        "45265017338ee3ee",
        "458ea36fc2996b0f",
        "4af8dc17119352e8",
        "4b9de88e46aac609",
        "4dc7df05f5f119c9",
        "4e99a415aede4273",
        "4efb56079cadc1fb",
        "4fc52a1641ca26a2",
        "51a191ad5e5169c1",
        "53a1b050a58552d6",
        "53d2a946fe835a42",
        "54027858315e8490",
        "56c6adadb971efb8",
        "57774d95cf78d59b",
        "5becb3f3c8b5f6e3",
        "5da526309a78fb9b",
        "5f8c14daec55f912",
        "600a4eaa7113d7ca",
        "61673ccf5a0fe72e",
        "61b85943b812ae4c",
        "6431e50ffd4a80c5",
        "66c6b4d0a560266e",
        "69434a9645de365e",
        "697aa4cabce217f0",
        "6bb567c77bacccce",
        "6c1d6610a96013fa",
        "6c9ebb41f15d29ed",
        "6d4cdbe685712edd",
        "6e36c875826ac0ec",
        "6f1bbf1859e7a71a",
        "715d8d1bcd11c1b3",
        "7505914f9f92cfc6",
        "75b36c12a73d30ec",
        "7aac598cb30a8dcb",
        "7bc6f91b072be208",
        "7c0dccd7d239bfea",
        "7dbd1a4a5e3f79d1",
        "7e23e89e6a45a3a5",
        "81759dd47edcb2d3",
        "820f658050848e4a",
        "82768a9d688d0f0e",
        "83aa48bd738552e0",
        "84f2e90164f40061",
        "856e16d3f7d97624",
        "85c97de95586a8c2",
        "87ea92a7aefe05ff",
        "89b4f0e02fa800f9",
        "8b251a8f8c6d598f",
        "8bad8961b965b15f",
        "8bc6a91ab169d2e1",
        "8c33298b7d064d90",
        "8ccda0e2b004803b",
        "945ff82ba83fca86",
        "9adcc64abdf713c2",
        "9bd43d5257099d64",
        "9ea2f1b4939e09b4",
        "9ed8780f310a59e8",
        "a0d2732cb267d5ba",
        "a354eecd34e3bad4",
        "a3ef2401660e921e",
        "a48cbe6ae077d08c",
        "a5a0166dba911630",
        "a6af268ce369636f",
        "a8436ed0d9cdc241",
        "aa41360fa319e18a",
        "aa4d55814e967261",
        "aa59fd2f46a45cfb",
        "ae6d8d3a38b6c737",
        "b28f6c9d203ae1a8",
        "b4833f9c26782b51",
        "b64a141258128997",
        "b6c27919ad5bc143",
        "b80309e3d6f89ad4",
        "b9ea39029c3362ce",
        "ba6a0a6f3dd703da",
        "ba774c2fa4a72c54",
        "bb3096c3d35b1955",
        "bb66c574a34110e0",
        "bc425df5be3fb0e3",
        "c03cddf48318f718",
        "c2537d71d3ad0320",
        "c62b4bc1ab8c365b",
        "c701f727b4f89386",
        "c75c2534810026b9",
        "c88d60f7d35765d9",
        "c97932dcdeb84546",
        "cc95fb507b902a8e",
        "ce5c3199e53d7ed8",
        "d05c9c97bef0dc3d",
        "d1ff56c7432c811b",
        "d5402620a7ebb82c",
        "dc364443c2890002",
        "e32727f3f9a82d9f",
        "e78c05c9829b849b",
        "e82e8fbec9dfb4b7",
        "e8dd9d21412b76ea",
        "ec0f0dc37d700112",
        "ec122374fa8d876d",
        "f1fbcec8c4dd4d7e",
        "f2dc7def83a751bd",
        "f3e63a1314c71312",
        "f7b0fde3b88104b6",
        "f97248b64bd857d3",
        "f985270da6550cee",
        "fa2e064b92c7ed26",
        "faeaba5ab113bfe0",
        "ff4e15c839696d0b",
        "ff5217c3006a4019",
    }
)
#: digests of explicit stems, matched against word prefixes of these lengths
STEM_DIGESTS = frozenset(
    {
        "2e0f4e9e8904b703",
        "4dc7df05f5f119c9",
        "6b2b56ba18499cf0",
        "7a59fa85131aee9e",
        "a6646dac3797b7e0",
        "ab854f90ed32fd29",
        "d05c9c97bef0dc3d",
        "d5cf223c75f83527",
        "db00a4d7d3198fa9",
        "e8dd9d21412b76ea",
    }
)
STEM_LENGTHS = (4, 5, 6, 7)


def digest(word: str) -> str:
    return hashlib.blake2b(word.encode("utf-8"), digest_size=8).hexdigest()


@lru_cache(maxsize=1 << 16)
def _blocked(word: str) -> bool:
    return digest(word) in WORD_DIGESTS or any(
        digest(word[:n]) in STEM_DIGESTS for n in STEM_LENGTHS if len(word) >= n
    )


def noise_created_blocked_word(clean: str, noisy: str) -> bool:
    """Whether a word in ``noisy`` but not in ``clean`` is on the block list."""
    # noise changes a word or two: look only at the space-separated chunks it touched
    changed = set(noisy.lower().split()) - set(clean.lower().split())
    if not changed:
        return False
    new_words = set(_WORD.findall(" ".join(changed))) - set(_WORD.findall(clean.lower()))
    return any(map(_blocked, new_words))
