"""Makes ``tickets.csv``, the built-in text dataset: support tickets of a made-up web shop.

Written by us from templates (no text is taken from anyone), released under CC0 with
the project. Each ticket is about one of four topics; some mention a second topic in
passing, a few are terse or vague, and 3 % carry another topic's label, as real queues
do. Beside the text: the channel it came by and the customer's months with the shop,
so the file also shows text mixed with other columns.

Run ``python -m al_core.data.builtin.make_tickets`` to write the file again; it comes
out byte for byte the same (``tests/test_text.py`` checks that the shipped file does).
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

PATH = Path(__file__).with_name("tickets.csv")
N_ROWS = 1200
SEED = 20261122
NOISE = 0.03

TOPICS: dict[str, list[str]] = {
    "billing": [
        "I was charged twice for the same order",
        "the invoice shows the wrong amount",
        "my card was debited but the payment failed",
        "please refund the extra charge on my statement",
        "the discount code was not applied at checkout",
        "why did my subscription renew at a higher price",
        "I need a copy of the invoice with our VAT number",
        "the refund you promised has not reached my account",
        "there is a charge I do not recognise",
        "can I pay by bank transfer instead of card",
        "the total at checkout differs from the price on the page",
        "cancel the renewal and refund this month",
        "the receipt lists an item I never ordered",
        "my voucher balance disappeared",
        "you billed the old card which is expired",
        "the currency on my bill is wrong",
    ],
    "account": [
        "I cannot log in to my account",
        "the password reset email never arrives",
        "my account was locked after too many attempts",
        "how do I change the email address on my profile",
        "two factor codes are rejected every time",
        "someone else may have used my account",
        "please delete my account and my data",
        "I forgot which email I signed up with",
        "the verification link has expired",
        "I want to merge my two accounts",
        "my username shows as unknown after sign in",
        "the login page keeps asking for my password again",
        "I lost the phone with my authenticator app",
        "change the name on my profile please",
        "I never get the code by text message",
        "my session logs out every few minutes",
    ],
    "bug": [
        "the app crashes when I open my basket",
        "the page shows an error 500 after search",
        "images do not load on the product pages",
        "the filter by size does nothing",
        "the button to save my address is greyed out",
        "the site freezes on older browsers",
        "search results are empty for every word",
        "the map on the store finder is blank",
        "scrolling the list jumps back to the top",
        "the app shows prices in the wrong format",
        "the checkout page is stuck on a spinner",
        "notifications arrive twice on android",
        "the dark mode makes the text unreadable",
        "the download of my order history fails",
        "the wish list forgets items after an update",
        "the chat window closes by itself",
    ],
    "shipping": [
        "my parcel has not arrived yet",
        "the tracking number does not work",
        "the courier left the box at the wrong address",
        "the package arrived damaged",
        "can I change the delivery address of my order",
        "the delivery date keeps moving",
        "one item is missing from the box",
        "do you ship to Norway",
        "I was not home and the parcel went back",
        "the carrier says the address is incomplete",
        "how much is express delivery",
        "my order shows delivered but nothing came",
        "the pickup point is closed",
        "can you send the parcel to my office instead",
        "the box was opened before it reached me",
        "customs is holding my package",
    ],
}

OPENERS = [
    "Hello,",
    "Hi,",
    "Good morning.",
    "Dear support,",
    "Hi there!",
    "Hey.",
    "To whom it may concern,",
    "",
    "",
    "",
]
CONTEXT = [
    "I ordered last week",
    "this is my second message about this",
    "it happened again today",
    "I have been a customer for years",
    "my order number is in the subject",
    "I tried on my phone and on my laptop",
    "it worked fine last month",
    "a friend has the same problem",
    "I already asked in the chat",
    "",
    "",
]
CLOSERS = [
    "Thanks.",
    "Please help.",
    "Can you look into it?",
    "Thank you in advance.",
    "This is urgent.",
    "Regards.",
    "What should I do now?",
    "",
    "",
]
VAGUE = [
    "something is wrong with my order",
    "it does not work",
    "please call me back",
    "I have a problem and need help",
    "nothing happens when I try",
]
CHANNELS = ("email", "chat", "phone", "form")


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _ticket(rng: random.Random, topic: str) -> str:
    names = list(TOPICS)
    parts = [rng.choice(OPENERS)]
    roll = rng.random()
    if roll < 0.06:  # terse and vague: the words carry little of the topic
        parts.append(_cap(rng.choice(VAGUE)) + ".")
        parts.append(rng.choice(TOPICS[topic]).split(" ")[-1] + "?")
    else:
        first, second = rng.sample(TOPICS[topic], 2)
        parts.append(_cap(first) + ".")
        if rng.random() < 0.45:
            parts.append(_cap(rng.choice(CONTEXT)) + ".")
        if rng.random() < 0.35:
            parts.append("Also " + second + ".")
        if rng.random() < 0.2:  # a second topic in passing
            other = rng.choice([n for n in names if n != topic])
            parts.append("Not the main thing, but " + rng.choice(TOPICS[other]) + ".")
    parts.append(rng.choice(CLOSERS))
    return " ".join(p for p in parts if p).replace("..", ".")


def rows(n: int = N_ROWS, seed: int = SEED) -> list[dict[str, object]]:
    """The tickets as dicts: ``ticket_id``, ``text``, ``channel``, ``customer_months``,
    ``topic``."""
    rng = random.Random(seed)
    names = list(TOPICS)
    weights = [0.3, 0.25, 0.25, 0.2]
    out = []
    for i in range(n):
        topic = rng.choices(names, weights)[0]
        text = _ticket(rng, topic)
        # Channel and tenure say a little: bugs come by form, billing from older customers.
        channel = "form" if topic == "bug" and rng.random() < 0.4 else rng.choice(CHANNELS)
        months = max(0, int(rng.gauss(30 if topic == "billing" else 18, 12)))
        label = rng.choice([n for n in names if n != topic]) if rng.random() < NOISE else topic
        out.append(
            {
                "ticket_id": f"T{10000 + i}",
                "text": text,
                "channel": channel,
                "customer_months": months,
                "topic": label,
            }
        )
    return out


def csv_text() -> str:
    """The file's content."""
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, ["ticket_id", "text", "channel", "customer_months", "topic"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows())
    return buffer.getvalue()


if __name__ == "__main__":
    PATH.write_text(csv_text(), encoding="utf-8")
    print(f"wrote {PATH} ({N_ROWS} tickets)")
