# Russian text is intended here: Cyrillic letters that look like Latin ones are not typos.
# ruff: noqa: RUF001
"""The demo's conversations outside e-mail and the portal: people on the messengers,
live-chat visitors and what they say, and the ideas board (`opora demo`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Messenger:
    """Someone who writes from Telegram, VK or WhatsApp: known by that account only."""

    channel: str  # "telegram", "vk" or "whatsapp"
    handle: str
    name: str
    language: str


MESSENGER_PEOPLE = (
    Messenger("telegram", "igor_lebedev", "Игорь Лебедев", "ru"),
    Messenger("telegram", "k_fedorova", "Ксения Фёдорова", "ru"),
    Messenger("telegram", "marcus_hill", "Marcus Hill", "en"),
    Messenger("telegram", "olesya_shop", "Олеся Гусева", "ru"),
    Messenger("vk", "id48213377", "Роман Зайцев", "ru"),
    Messenger("vk", "id51190245", "Виктория Павлова", "ru"),
    Messenger("vk", "id60022871", "Jana Novak", "en"),
    Messenger("telegram", "a_smirnova_spb", "Алина Смирнова", "ru"),
    Messenger("telegram", "petr_grigoriev", "Пётр Григорьев", "ru"),
    Messenger("telegram", "nadezhda_k", "Надежда Комарова", "ru"),
    Messenger("telegram", "ben_carter", "Ben Carter", "en"),
    Messenger("telegram", "sofia_ivanova", "Софья Иванова", "ru"),
    Messenger("vk", "id70311458", "Андрей Ковалёв", "ru"),
    Messenger("vk", "id72200913", "Екатерина Соловьёва", "ru"),
    Messenger("vk", "id73009846", "Денис Медведев", "ru"),
    Messenger("whatsapp", "79161234507", "Марина Белова", "ru"),
    Messenger("whatsapp", "79035550142", "Артём Никитин", "ru"),
    Messenger("whatsapp", "447700900318", "Oliver Grant", "en"),
)


@dataclass(frozen=True)
class Visitor:
    """Someone who opens the live chat on the demo site."""

    name: str
    email: str
    language: str


CHAT_VISITORS = (
    Visitor("Светлана Егорова", "s.egorova@mail.example", "ru"),
    Visitor("Артём Никитин", "", "ru"),
    Visitor("Laura Schmidt", "laura.schmidt@inbox.example", "en"),
    Visitor("Кирилл Попов", "kirill.popov@mail.example", "ru"),
    Visitor("Oliver Grant", "", "en"),
    Visitor("Дарья Белякова", "d.belyakova@mail.example", "ru"),
    Visitor("Priya Nair", "priya.nair@inbox.example", "en"),
    Visitor("Максим Осипов", "", "ru"),
)

# A chat visitor's short questions, which the knowledge base often answers.
CHAT_QUESTIONS = {
    "en": (
        "How do I reset my password? The reset e-mail never comes.",
        "My card payment was declined, what can I do?",
        "Where can I download an invoice?",
        "How can I track my order?",
        "The app crashes on start on my phone.",
        "How do I change the delivery address of my order?",
    ),
    "ru": (
        "Как восстановить пароль? Письмо для сброса не приходит.",
        "Платёж по карте отклонён, что делать?",
        "Где скачать счёт на оплату?",
        "Как отследить заказ?",
        "Приложение вылетает при запуске.",
        "Можно ли изменить адрес доставки заказа?",
    ),
}

# The agent's lines in a chat: an answer and a closing line.
CHAT_ANSWERS = {
    "en": (
        "Hi! I've checked your account: let me walk you through it. "
        "Please open Settings > Account and follow the steps there.",
        "Done on our side. Anything else I can help with?",
    ),
    "ru": (
        "Здравствуйте! Проверил ваш аккаунт, сейчас подскажу: "
        "откройте «Настройки» → «Аккаунт» и следуйте шагам.",
        "С нашей стороны всё готово. Могу ещё чем-нибудь помочь?",
    ),
}
CHAT_THANKS = {"en": "Got it, thanks a lot!", "ru": "Понял, спасибо большое!"}


@dataclass(frozen=True)
class IdeaSpec:
    """An idea of the board: the suggestion topic merged into it (by subject), if any."""

    title: str
    description: str
    status: str
    suggestion: str = ""  # the subject of the demo's suggestion tickets merged into it
    board_votes: int = 0  # customers who also voted on the board
    comment: str = ""  # a customer's comment, approved
    pending: str = ""  # a customer's comment awaiting moderation
    reply: str = ""  # the desk's official reply


IDEAS = (
    IdeaSpec(
        "Dark mode",
        "A dark interface for late shifts and dim rooms, switchable in the profile.",
        "planned",
        suggestion="Please add a dark mode",
        board_votes=2,
        comment="Yes please, our night shift would love it.",
        pending="Could it follow the system setting automatically?",
        reply="Planned for the next release: a switch under Profile > Appearance.",
    ),
    IdeaSpec(
        "Notifications to Slack channels",
        "A message in a team's Slack channel when an urgent ticket comes in.",
        "done",
        suggestion="Notifications to our Slack channel",
    ),
    IdeaSpec(
        "Weekly report by e-mail",
        "The weekly ticket report sent to the mailbox every Monday morning.",
        "done",
        suggestion="Weekly report by e-mail",
        board_votes=1,
    ),
    IdeaSpec(
        "Оплата через СБП",
        "Оплата счетов по QR-коду через Систему быстрых платежей.",
        "done",
        suggestion="Добавьте оплату через СБП",
    ),
    IdeaSpec(
        "Выгрузка отчётов в Excel",
        "Выгрузка любого отчёта в XLSX, а не только в PDF.",
        "under_review",
        suggestion="Выгрузка отчётов в Excel",
        board_votes=3,
        comment="Очень нужно для бухгалтерии.",
    ),
    IdeaSpec(
        "Уведомления в Telegram",
        "Статусы заказов в личные сообщения или в общий чат склада.",
        "planned",
        suggestion="Уведомления в Telegram",
    ),
    IdeaSpec(
        "Тёмная тема в мобильном приложении",
        "Тёмное оформление приложения, как в веб-версии.",
        "new",
        board_votes=2,
    ),
    IdeaSpec(
        "Export tickets to Jira",
        "Send a ticket to a Jira project with one click, with its conversation attached.",
        "declined",
        board_votes=1,
        reply="We hand problems to development through the webhook hand-off instead.",
    ),
)
