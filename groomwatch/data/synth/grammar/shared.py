"""Language-neutral alternatives added to every grammar: redaction tokens for personal data.

Real datasets replace phone numbers, addresses, e-mail addresses and links with placeholders;
grooming and benign chats both exchange them, so the placeholders carry no label.
"""

SHARED = {
    "say_where": ["[ADDRESS]", "[CITY]", "[SCHOOL_NAME]"],
    "move_app": ["[PHONE_NUMBER]", "{app} [USERNAME]", "[USERNAME]"],
    "g_private": ["[PHONE_NUMBER]", "{app} [USERNAME]"],
    "arrange_meet": ["[ADDRESS] {time}", "[ADDRESS]?"],
    "pickup": ["[ADDRESS] {time}"],
    "parent_plan": ["[ADDRESS]", "[PHONE_NUMBER]", "[LINK]"],
    "coach_plan": ["[LINK]", "[ADDRESS] {time}"],
    "support_answer": ["[EMAIL_ADDRESS]", "[ORDER_NUMBER]", "[PHONE_NUMBER]"],
    "support_info": ["[LINK]", "[TICKET_NUMBER]"],
    "topic_a": ["[LINK]", "[LINK] {lol}", "[VOICE_MESSAGE]"],
    "date": ["[ADDRESS] {time}?", "[LINK]"],
    "banter": ["[USERNAME] gg", "[LINK]"],
    "gift": ["[LINK]"],
}
