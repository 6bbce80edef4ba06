# ruff: noqa: RUF001, E501
"""The harder knowledge-base search set: a knowledge base of its own with groups of
near-duplicate articles (refund to a card / to a wallet / for a cancelled order …),
and customer-style queries, each labelled with its one right article.

Queries are written the way customers write: word forms, typos, their own words for
what articles call otherwise, long complaints, no question words, odd capitals.
Keys are `<article>:<language>`.
"""

from __future__ import annotations

# (key, language, title, Markdown body)
ARTICLES: list[tuple[str, str, str, str]] = [
    # Refunds: four near-duplicates
    (
        "refund-card",
        "en",
        "Refund to a bank card",
        "## When the money arrives\nA refund to the card you paid with takes 3 to 10 business days, depending on your bank. "
        "## What to check\nThe refund appears as a separate credit on the card statement, not as a cancelled charge. "
        "If the card was closed or reissued, the bank still credits the linked account.",
    ),
    (
        "refund-wallet",
        "en",
        "Refund to an e-wallet",
        "## PayPal and other wallets\nIf you paid with PayPal or another e-wallet, the refund goes back to the wallet balance within 24 hours. "
        "We cannot send a wallet payment back to a card. Check the wallet history for the credit.",
    ),
    (
        "refund-cancelled",
        "en",
        "Refund for a cancelled order",
        "## Cancelled before shipping\nWhen you or the store cancel an order before it ships, the full amount is refunded automatically, "
        "including delivery. You do not need to ask: the refund starts the moment the order is cancelled.",
    ),
    (
        "refund-partial",
        "en",
        "Partial refund for part of an order",
        "## Returned only some items\nIf you return only some items of an order, we refund their price only. "
        "Delivery is refunded only when the whole order is returned. The receipt lists what was refunded.",
    ),
    # Payments
    (
        "payment-declined",
        "en",
        "Card payment declined",
        "## Why a card is declined\nThe bank refused the payment: not enough funds, an online payments limit, or 3-D Secure failed. "
        "## What to do\nCheck the card details, allow online payments in your bank app, or pay with another card.",
    ),
    (
        "payment-not-credited",
        "en",
        "Payment not credited to the balance",
        "## Paid but the balance did not change\nA payment by bank transfer is credited within one business day. "
        "If the money left your account but the balance is still zero after a day, send us the payment receipt.",
    ),
    (
        "double-charge",
        "en",
        "Charged twice for one order",
        "## Two identical charges\nOften the second one is a hold that the bank releases within 3 days. "
        "If both charges are still there after 3 days, write to us with the order number and we refund the duplicate.",
    ),
    (
        "pay-invoice",
        "en",
        "Pay by invoice as a company",
        "## Bank transfer for companies\nCompanies can pay by invoice: enter the company details at checkout and download the invoice. "
        "The order ships once the transfer arrives.",
    ),
    # Sign-in and account
    (
        "signin-wrong-password",
        "en",
        "Sign-in fails with a correct password",
        "## Password rejected\nCheck the keyboard layout and Caps Lock. Passwords are case sensitive. "
        "If sign-in still fails, clear the browser cookies or try a private window.",
    ),
    (
        "signin-code",
        "en",
        "Verification code does not arrive",
        "## SMS or e-mail code missing\nCodes expire after 5 minutes. Wait a minute before asking for a new one, check the spam folder, "
        "and make sure your phone number is correct in the profile.",
    ),
    (
        "two-factor-lost",
        "en",
        "Lost access to the authenticator app",
        "## New phone, no codes\nUse one of the backup codes you saved when you turned on two-factor authentication. "
        "Without backup codes, support can reset two-factor after checking your identity.",
    ),
    (
        "account-locked",
        "en",
        "Account locked after failed attempts",
        "## Too many wrong passwords\nAfter 5 failed attempts the account is locked for 30 minutes. "
        "Wait, then reset the password instead of guessing again.",
    ),
    (
        "account-suspended",
        "en",
        "Account suspended for a rules violation",
        "## Suspended by moderators\nAn account can be suspended for breaking the terms of use, such as fraud or spam. "
        "You get an e-mail with the reason. To appeal, reply to that e-mail.",
    ),
    (
        "account-hacked",
        "en",
        "Someone else signed in to my account",
        "## Unfamiliar activity\nChange your password at once, sign out of all devices in the security settings and turn on two-factor authentication. "
        "Tell us about orders you did not place.",
    ),
    (
        "delete-account",
        "en",
        "Delete your account",
        "## Removing your data\nOpen Profile → Privacy → Delete account. Active orders must be finished first. "
        "Deletion is final after 14 days.",
    ),
    (
        "change-email",
        "en",
        "Change the e-mail address of your account",
        "## New e-mail\nOpen Profile → Contact details, enter the new address and confirm it with the link we send there.",
    ),
    # Password
    (
        "reset-password",
        "en",
        "Reset a forgotten password",
        "## Forgot it\nOn the sign-in page choose Forgot password and enter your e-mail. The reset link is valid for one hour.",
    ),
    (
        "change-password",
        "en",
        "Change your password",
        "## You know the current one\nOpen Profile → Security → Change password, enter the current password and the new one twice.",
    ),
    # Delivery and orders
    (
        "track-order",
        "en",
        "Track your order",
        "## Tracking number\nThe tracking number is in the shipping confirmation e-mail and in Orders. Tracking updates once a day.",
    ),
    (
        "delivery-late",
        "en",
        "Delivery is late",
        "## Past the expected date\nCouriers may be delayed by weather or holidays. If the order is more than 5 days late, "
        "we contact the carrier and send a replacement or refund.",
    ),
    (
        "change-address",
        "en",
        "Change the delivery address",
        "## Before shipping\nYou can change the address in Orders until the order ships. After that, ask the carrier to redirect the parcel.",
    ),
    (
        "damaged-item",
        "en",
        "Item arrived damaged",
        "## Broken in transit\nTake photos of the item and the box and send them within 7 days. We send a replacement at no cost.",
    ),
    (
        "wrong-item",
        "en",
        "Received the wrong item",
        "## Not what you ordered\nSend us a photo of the label and the item. We pick up the wrong item and ship the right one.",
    ),
    (
        "missing-item",
        "en",
        "An item is missing from the parcel",
        "## Parcel incomplete\nLarge orders may come in several parcels: check Orders for the shipments. "
        "If everything arrived and an item is still missing, tell us within 7 days.",
    ),
    # Subscription
    (
        "cancel-subscription",
        "en",
        "Cancel your subscription",
        "## Stop paying\nOpen Billing → Subscription → Cancel. You keep access until the end of the paid period.",
    ),
    (
        "change-plan",
        "en",
        "Upgrade or downgrade your plan",
        "## Switching plans\nOpen Billing → Plan. An upgrade starts at once with the difference charged; a downgrade starts next period.",
    ),
    (
        "renewal-charge",
        "en",
        "Unexpected charge for auto-renewal",
        "## Renewed automatically\nSubscriptions renew automatically at the end of each period. If you forgot to cancel, "
        "ask for a refund within 48 hours of the renewal and we cancel it.",
    ),
    # Notifications and app
    (
        "emails-missing",
        "en",
        "Our e-mails do not reach you",
        "## No messages from us\nCheck the spam folder and add our address to contacts. Corporate mail servers sometimes block newsletters.",
    ),
    (
        "push-missing",
        "en",
        "Push notifications do not arrive",
        "## Phone notifications\nAllow notifications for the app in the phone settings and turn off battery saving for it.",
    ),
    (
        "app-crash",
        "en",
        "The mobile app closes on start",
        "## Crashes at launch\nUpdate the app to the latest version, restart the phone, or reinstall the app.",
    ),
    (
        "app-slow",
        "en",
        "The app is slow",
        "## Long loading\nClear the app cache in settings and check the connection. Old phones may load the catalogue slowly.",
    ),
    # ---- Russian
    (
        "refund-card",
        "ru",
        "Возврат на банковскую карту",
        "## Когда придут деньги\nВозврат на карту, которой вы платили, занимает от 3 до 10 рабочих дней в зависимости от банка. "
        "## Что проверить\nВозврат приходит отдельным зачислением в выписке, а не отменой списания. "
        "Если карту перевыпустили, банк зачислит средства на счёт.",
    ),
    (
        "refund-wallet",
        "ru",
        "Возврат на электронный кошелёк",
        "## ЮMoney и другие кошельки\nЕсли вы платили с электронного кошелька, деньги вернутся на его баланс в течение суток. "
        "Перевести такой возврат на карту мы не можем.",
    ),
    (
        "refund-cancelled",
        "ru",
        "Возврат за отменённый заказ",
        "## Отмена до отправки\nЕсли заказ отменён до отправки вами или магазином, вся сумма вместе с доставкой возвращается автоматически. "
        "Писать в поддержку не нужно.",
    ),
    (
        "refund-partial",
        "ru",
        "Частичный возврат за часть заказа",
        "## Вернули не всё\nЕсли вы вернули только часть товаров, мы возвращаем их стоимость. "
        "Стоимость доставки возвращается только при возврате всего заказа.",
    ),
    (
        "payment-declined",
        "ru",
        "Оплата картой отклонена",
        "## Почему банк отказал\nНе хватает средств, стоит лимит на покупки в интернете или не пройдено 3-D Secure. "
        "## Что сделать\nПроверьте данные карты, разрешите интернет-платежи в приложении банка или оплатите другой картой.",
    ),
    (
        "payment-not-credited",
        "ru",
        "Платёж не зачислен на баланс",
        "## Оплатили, а баланс не изменился\nБанковский перевод зачисляется в течение одного рабочего дня. "
        "Если средства списаны, а баланс спустя сутки нулевой, пришлите нам квитанцию об оплате.",
    ),
    (
        "double-charge",
        "ru",
        "Двойное списание за один заказ",
        "## Два одинаковых списания\nЧасто второе списание — это блокировка суммы, которую банк снимает за 3 дня. "
        "Если спустя 3 дня оба списания на месте, напишите нам номер заказа, и мы вернём лишнее.",
    ),
    (
        "pay-invoice",
        "ru",
        "Оплата по счёту для юрлиц",
        "## Безналичный расчёт\nОрганизации могут оплатить заказ по счёту: укажите реквизиты при оформлении и скачайте счёт. "
        "Заказ отправим после поступления оплаты.",
    ),
    (
        "signin-wrong-password",
        "ru",
        "Вход не работает с верным паролем",
        "## Пароль не принимается\nПроверьте раскладку клавиатуры и Caps Lock: пароль чувствителен к регистру. "
        "Если войти всё равно не удаётся, очистите cookies браузера или откройте окно в режиме инкогнито.",
    ),
    (
        "signin-code",
        "ru",
        "Не приходит код подтверждения",
        "## Код по СМС или на почту\nКод действует 5 минут. Подождите минуту перед повторным запросом, проверьте папку «Спам» "
        "и правильность номера телефона в профиле.",
    ),
    (
        "two-factor-lost",
        "ru",
        "Потерян доступ к приложению-аутентификатору",
        "## Новый телефон, нет кодов\nВоспользуйтесь резервными кодами, сохранёнными при включении двухфакторной аутентификации. "
        "Без них поддержка сбросит защиту после проверки личности.",
    ),
    (
        "account-locked",
        "ru",
        "Учётная запись заблокирована после неудачных попыток",
        "## Много неверных паролей\nПосле 5 неудачных попыток вход блокируется на 30 минут. Подождите и сбросьте пароль, не подбирая его.",
    ),
    (
        "account-suspended",
        "ru",
        "Аккаунт заморожен за нарушение правил",
        "## Решение модераторов\nАккаунт могут заморозить за нарушение условий использования: мошенничество или спам. "
        "Причина придёт письмом; чтобы оспорить решение, ответьте на это письмо.",
    ),
    (
        "account-hacked",
        "ru",
        "В мой аккаунт вошёл кто-то другой",
        "## Чужая активность\nСразу смените пароль, завершите все сеансы в настройках безопасности и включите двухфакторную аутентификацию. "
        "Сообщите нам о заказах, которые вы не делали.",
    ),
    (
        "delete-account",
        "ru",
        "Удаление учётной записи",
        "## Удалить данные\nОткройте Профиль → Конфиденциальность → Удалить. Сначала завершите активные заказы. "
        "Через 14 дней удаление станет окончательным.",
    ),
    (
        "change-email",
        "ru",
        "Смена электронной почты в профиле",
        "## Новый адрес\nОткройте Профиль → Контакты, введите новый адрес и подтвердите его по ссылке из письма.",
    ),
    (
        "reset-password",
        "ru",
        "Восстановление забытого пароля",
        "## Не помните пароль\nНа странице входа нажмите «Забыли пароль?» и укажите почту. Ссылка для сброса действует один час.",
    ),
    (
        "change-password",
        "ru",
        "Смена пароля",
        "## Если помните текущий\nОткройте Профиль → Безопасность → Сменить пароль, введите текущий пароль и дважды новый.",
    ),
    (
        "track-order",
        "ru",
        "Отслеживание заказа",
        "## Трек-номер\nТрек-номер есть в письме об отправке и в разделе «Заказы». Статус обновляется раз в сутки.",
    ),
    (
        "delivery-late",
        "ru",
        "Доставка задерживается",
        "## Прошёл срок\nКурьеры могут задерживаться из-за погоды и праздников. Если заказ опаздывает больше чем на 5 дней, "
        "мы свяжемся с перевозчиком и отправим замену или вернём деньги.",
    ),
    (
        "change-address",
        "ru",
        "Изменение адреса доставки",
        "## До отправки\nАдрес можно поменять в разделе «Заказы», пока заказ не отправлен. Потом — только через перевозчика.",
    ),
    (
        "damaged-item",
        "ru",
        "Товар пришёл повреждённым",
        "## Повреждение при перевозке\nСфотографируйте товар и коробку и пришлите фото в течение 7 дней. Замену отправим бесплатно.",
    ),
    (
        "wrong-item",
        "ru",
        "Прислали не тот товар",
        "## Не то, что заказывали\nПришлите фото этикетки и товара. Курьер заберёт неверный товар и привезёт нужный.",
    ),
    (
        "missing-item",
        "ru",
        "В посылке не хватает товара",
        "## Неполная посылка\nБольшие заказы приходят несколькими посылками — проверьте отправления в разделе «Заказы». "
        "Если всё пришло, а товара нет, сообщите в течение 7 дней.",
    ),
    (
        "cancel-subscription",
        "ru",
        "Отмена подписки",
        "## Перестать платить\nОткройте Оплата → Подписка → Отменить. Доступ сохранится до конца оплаченного периода.",
    ),
    (
        "change-plan",
        "ru",
        "Смена тарифа",
        "## Другой тариф\nОткройте Оплата → Тариф. Повышение действует сразу с доплатой разницы, понижение — со следующего периода.",
    ),
    (
        "renewal-charge",
        "ru",
        "Неожиданное списание за автопродление",
        "## Подписка продлилась сама\nПодписка продлевается автоматически в конце периода. Если вы забыли её отменить, "
        "попросите возврат в течение 48 часов после продления, и мы её отменим.",
    ),
    (
        "emails-missing",
        "ru",
        "Не приходят наши письма",
        "## Нет сообщений от нас\nПроверьте папку «Спам» и добавьте наш адрес в контакты. Корпоративная почта иногда блокирует рассылки.",
    ),
    (
        "push-missing",
        "ru",
        "Не приходят пуш-уведомления",
        "## Уведомления на телефоне\nРазрешите уведомления для приложения в настройках телефона и отключите для него экономию заряда.",
    ),
    (
        "app-crash",
        "ru",
        "Мобильное приложение закрывается при запуске",
        "## Вылет при старте\nОбновите приложение до последней версии, перезагрузите телефон или переустановите приложение.",
    ),
    (
        "app-slow",
        "ru",
        "Приложение медленно работает",
        "## Долгая загрузка\nОчистите кэш приложения в настройках и проверьте соединение. На старых телефонах каталог грузится медленно.",
    ),
]

# (language, query, right article)
QUERIES: list[tuple[str, str, str]] = [
    # refunds
    ("en", "when will i get my money back on my visa", "refund-card:en"),
    ("en", "refund to my card still not showing after a week", "refund-card:en"),
    ("en", "returned stuff, bank card refund how long", "refund-card:en"),
    ("en", "paid with paypal want the money back", "refund-wallet:en"),
    ("en", "refund went to paypal balance instead of card??", "refund-wallet:en"),
    ("en", "e wallet refund", "refund-wallet:en"),
    (
        "en",
        "i cancelled my order yesterday, do i get the money back automatically",
        "refund-cancelled:en",
    ),
    ("en", "store canceled order refund", "refund-cancelled:en"),
    ("en", "ORDER WAS CANCELLED WHERE IS MY REFUND", "refund-cancelled:en"),
    ("en", "sent back only 2 of the 5 things, how much is refunded", "refund-partial:en"),
    ("en", "returned some items but shipping cost wasnt refunded", "refund-partial:en"),
    ("en", "partial return refund amount", "refund-partial:en"),
    # payments
    ("en", "my card keeps getting rejected at checkout", "payment-declined:en"),
    ("en", "payment failed bank says nothing wrong", "payment-declined:en"),
    ("en", "card refused 3d secure", "payment-declined:en"),
    ("en", "transfered money yesterday but balance still zero", "payment-not-credited:en"),
    ("en", "money not arrived on balance after bank transfer", "payment-not-credited:en"),
    ("en", "I paid but the balance didn't update", "payment-not-credited:en"),
    ("en", "you took the payment two times for the same order", "double-charge:en"),
    ("en", "charged twice", "double-charge:en"),
    (
        "en",
        "I see two identical charges on my statement for one purchase, please fix this, I only ordered once",
        "double-charge:en",
    ),
    ("en", "company wants to pay by bank transfer, need invoice", "pay-invoice:en"),
    ("en", "buying for our business, can we get a bill and pay later", "pay-invoice:en"),
    ("en", "invoice payment for legal entity", "pay-invoice:en"),
    # sign-in
    ("en", "can't log in even though my password is right", "signin-wrong-password:en"),
    ("en", "login not working, password correct", "signin-wrong-password:en"),
    (
        "en",
        "it says wrong password but i typed it correctly, I even copied it from my password manager and it still won't let me in",
        "signin-wrong-password:en",
    ),
    ("en", "didn't get the code to sign in", "signin-code:en"),
    ("en", "sms code never comes", "signin-code:en"),
    ("en", "verification code not recieved", "signin-code:en"),
    ("en", "got a new phone and my authenticator codes are gone", "two-factor-lost:en"),
    ("en", "lost my phone with 2fa app", "two-factor-lost:en"),
    ("en", "google authenticator deleted can't get codes", "two-factor-lost:en"),
    ("en", "locked out after too many tries", "account-locked:en"),
    ("en", "account blocked for 30 minutes wrong password", "account-locked:en"),
    (
        "en",
        "typed my password wrong a few times and now it says my account is locked, what do I do",
        "account-locked:en",
    ),
    ("en", "my account got suspended for no reason", "account-suspended:en"),
    ("en", "banned account appeal", "account-suspended:en"),
    ("en", "account disabled for violating terms", "account-suspended:en"),
    ("en", "someone logged into my account from another country", "account-hacked:en"),
    ("en", "orders I never placed, I think I was hacked", "account-hacked:en"),
    ("en", "account compromised", "account-hacked:en"),
    ("en", "how to close my account for good", "delete-account:en"),
    ("en", "remove all my data and account", "delete-account:en"),
    ("en", "delete profile", "delete-account:en"),
    ("en", "update my email adress", "change-email:en"),
    ("en", "new e-mail for my account, old one no longer works", "change-email:en"),
    ("en", "change email on profile", "change-email:en"),
    # password
    ("en", "forgot pasword", "reset-password:en"),
    ("en", "password reset link", "reset-password:en"),
    ("en", "I don't remember my password at all", "reset-password:en"),
    ("en", "want to set a new password, i know the old one", "change-password:en"),
    ("en", "update password in security settings", "change-password:en"),
    ("en", "Change Password", "change-password:en"),
    # delivery
    ("en", "where is my parcel", "track-order:en"),
    ("en", "tracking number for my package", "track-order:en"),
    ("en", "trackng not updating", "track-order:en"),
    ("en", "order still hasnt arrived and the date passed", "delivery-late:en"),
    ("en", "delivery delayed by a week", "delivery-late:en"),
    (
        "en",
        "courier is late again, the estimated date was last monday and nothing has come, I need these for a birthday",
        "delivery-late:en",
    ),
    ("en", "wrong shipping adress on order", "change-address:en"),
    ("en", "I moved, send my order to another address", "change-address:en"),
    ("en", "redirect parcel to new address", "change-address:en"),
    ("en", "box was crushed and the vase is broken", "damaged-item:en"),
    ("en", "item arrived broken", "damaged-item:en"),
    ("en", "defective product on arrival", "damaged-item:en"),
    ("en", "you sent me a different product", "wrong-item:en"),
    ("en", "ordered blue shoes got red ones", "wrong-item:en"),
    ("en", "not what i ordered", "wrong-item:en"),
    ("en", "one thing missing from the box", "missing-item:en"),
    ("en", "parcel came without the charger I ordered", "missing-item:en"),
    ("en", "incomplete order", "missing-item:en"),
    # subscription
    ("en", "stop my subscription", "cancel-subscription:en"),
    ("en", "unsubscribe from premium", "cancel-subscription:en"),
    ("en", "how do i cancel", "cancel-subscription:en"),
    ("en", "switch to a cheaper plan", "change-plan:en"),
    ("en", "upgrade to pro", "change-plan:en"),
    ("en", "downgrade tier", "change-plan:en"),
    ("en", "charged for renewal i forgot to cancel", "renewal-charge:en"),
    ("en", "subscription renewed automatically without asking me", "renewal-charge:en"),
    ("en", "unexpected charge auto renew", "renewal-charge:en"),
    # notifications and app
    ("en", "not getting your emails", "emails-missing:en"),
    ("en", "newsletter never reaches my work inbox", "emails-missing:en"),
    ("en", "emails from you go to spam", "emails-missing:en"),
    ("en", "no notifications on my phone", "push-missing:en"),
    ("en", "push not working android", "push-missing:en"),
    ("en", "app doesn't notify me", "push-missing:en"),
    ("en", "app crashes when i open it", "app-crash:en"),
    ("en", "app keeps closing on startup iphone", "app-crash:en"),
    ("en", "the application quits right after launch", "app-crash:en"),
    ("en", "app is really laggy", "app-slow:en"),
    ("en", "catalog takes forever to load", "app-slow:en"),
    ("en", "everything in the app is so slow on my old phone, pages load for ages", "app-slow:en"),
    # ---- Russian
    ("ru", "когда вернутся деньги на карту", "refund-card:ru"),
    ("ru", "возврат на карту так и не пришёл уже неделю", "refund-card:ru"),
    ("ru", "вернули товар, деньги на карточку сколько ждать", "refund-card:ru"),
    ("ru", "платил через юмани, хочу вернуть деньги", "refund-wallet:ru"),
    ("ru", "возврат на кошелек", "refund-wallet:ru"),
    ("ru", "деньги вернулись на кошелёк а не на карту", "refund-wallet:ru"),
    ("ru", "отменил заказ вчера, деньги вернут сами?", "refund-cancelled:ru"),
    ("ru", "магазин отменил заказ где мои деньги", "refund-cancelled:ru"),
    ("ru", "ЗАКАЗ ОТМЕНЁН ВЕРНИТЕ ДЕНЬГИ", "refund-cancelled:ru"),
    ("ru", "вернул два товара из пяти, сколько вернут", "refund-partial:ru"),
    ("ru", "вернула часть заказа а доставку не вернули", "refund-partial:ru"),
    ("ru", "частичный возврат сумма", "refund-partial:ru"),
    ("ru", "карта не проходит при оплате", "payment-declined:ru"),
    ("ru", "банк отклонил платеж", "payment-declined:ru"),
    ("ru", "не могу оплатить картой пишет отказ", "payment-declined:ru"),
    ("ru", "деньги не пришли на баланс", "payment-not-credited:ru"),
    ("ru", "перевела деньги вчера а баланс ноль", "payment-not-credited:ru"),
    ("ru", "оплата не поступила хотя с карты списали", "payment-not-credited:ru"),
    ("ru", "списали деньги два раза за один заказ", "double-charge:ru"),
    ("ru", "двойное списание", "double-charge:ru"),
    (
        "ru",
        "в выписке две одинаковые суммы за одну покупку, я заказывал один раз, верните лишнее",
        "double-charge:ru",
    ),
    ("ru", "нужен счет для оплаты от организации", "pay-invoice:ru"),
    ("ru", "оплата безналом для юрлица", "pay-invoice:ru"),
    ("ru", "покупаем для компании, можно выставить счёт", "pay-invoice:ru"),
    ("ru", "не могу войти хотя пароль правильный", "signin-wrong-password:ru"),
    ("ru", "пишет неверный пароль но я ввожу правильно", "signin-wrong-password:ru"),
    (
        "ru",
        "не получается зайти в аккаунт, пароль точно верный, копирую его из менеджера паролей, всё равно не пускает",
        "signin-wrong-password:ru",
    ),
    ("ru", "не приходит смс с кодом", "signin-code:ru"),
    ("ru", "код подтверждения не пришел", "signin-code:ru"),
    ("ru", "нет кода на почту для входа", "signin-code:ru"),
    ("ru", "сменил телефон и пропали коды аутентификатора", "two-factor-lost:ru"),
    ("ru", "потерял телефон с двухфакторкой", "two-factor-lost:ru"),
    ("ru", "удалил google authenticator не могу получить код", "two-factor-lost:ru"),
    ("ru", "заблокировали после нескольких попыток входа", "account-locked:ru"),
    ("ru", "аккаунт заблокирован на 30 минут", "account-locked:ru"),
    (
        "ru",
        "несколько раз ошибся с паролем и теперь пишет что учетка заблокирована, что делать",
        "account-locked:ru",
    ),
    ("ru", "мой аккаунт заморозили без причины", "account-suspended:ru"),
    ("ru", "забанили аккаунт как обжаловать", "account-suspended:ru"),
    ("ru", "аккаунт отключен за нарушение правил", "account-suspended:ru"),
    ("ru", "кто-то зашел в мой аккаунт", "account-hacked:ru"),
    ("ru", "меня взломали, появились чужие заказы", "account-hacked:ru"),
    ("ru", "украли аккаунт", "account-hacked:ru"),
    ("ru", "как удалить аккаунт навсегда", "delete-account:ru"),
    ("ru", "удалите все мои данные", "delete-account:ru"),
    ("ru", "удалить профиль", "delete-account:ru"),
    ("ru", "поменять почту в аккаунте", "change-email:ru"),
    ("ru", "старый имейл больше не работает нужен новый адрес почты", "change-email:ru"),
    ("ru", "сменить электронную почту", "change-email:ru"),
    ("ru", "забыл пароль", "reset-password:ru"),
    ("ru", "не помню пароль как востановить", "reset-password:ru"),
    ("ru", "ссылка для сброса пароля", "reset-password:ru"),
    ("ru", "хочу поменять пароль, старый знаю", "change-password:ru"),
    ("ru", "изменить пароль в настройках безопасности", "change-password:ru"),
    ("ru", "Смена Пароля", "change-password:ru"),
    ("ru", "где моя посылка", "track-order:ru"),
    ("ru", "трек номер заказа", "track-order:ru"),
    ("ru", "отследить заказ", "track-order:ru"),
    ("ru", "заказ не привезли уже неделю", "delivery-late:ru"),
    ("ru", "задержка доставки", "delivery-late:ru"),
    (
        "ru",
        "курьер опять опаздывает, обещали в понедельник, ничего нет, мне это нужно к дню рождения",
        "delivery-late:ru",
    ),
    ("ru", "неправильный адрес доставки в заказе", "change-address:ru"),
    ("ru", "переехал, отправьте заказ на другой адрес", "change-address:ru"),
    ("ru", "поменять адрес", "change-address:ru"),
    ("ru", "коробка помята и ваза разбита", "damaged-item:ru"),
    ("ru", "пришел сломанный товар", "damaged-item:ru"),
    ("ru", "товар с браком", "damaged-item:ru"),
    ("ru", "прислали другой товар", "wrong-item:ru"),
    ("ru", "заказывала синие кроссовки пришли красные", "wrong-item:ru"),
    ("ru", "перепутали заказ", "wrong-item:ru"),
    ("ru", "в коробке не хватает одной вещи", "missing-item:ru"),
    ("ru", "пришла посылка без зарядки которую я заказывал", "missing-item:ru"),
    ("ru", "неполный заказ", "missing-item:ru"),
    ("ru", "отменить подписку", "cancel-subscription:ru"),
    ("ru", "как отписаться от премиума", "cancel-subscription:ru"),
    ("ru", "больше не хочу платить за подписку", "cancel-subscription:ru"),
    ("ru", "перейти на тариф дешевле", "change-plan:ru"),
    ("ru", "повысить тариф до про", "change-plan:ru"),
    ("ru", "сменить план", "change-plan:ru"),
    ("ru", "списали за продление а я забыл отменить", "renewal-charge:ru"),
    ("ru", "подписка продлилась сама без спроса", "renewal-charge:ru"),
    ("ru", "автопродление неожиданно списали", "renewal-charge:ru"),
    ("ru", "не получаю ваши письма", "emails-missing:ru"),
    ("ru", "рассылка не доходит на рабочую почту", "emails-missing:ru"),
    ("ru", "ваши письма попадают в спам", "emails-missing:ru"),
    ("ru", "нет уведомлений на телефоне", "push-missing:ru"),
    ("ru", "пуши не приходят на андроид", "push-missing:ru"),
    ("ru", "приложение не присылает оповещения", "push-missing:ru"),
    ("ru", "приложение вылетает при открытии", "app-crash:ru"),
    ("ru", "приложение закрывается сразу на айфоне", "app-crash:ru"),
    ("ru", "крашится приложение после запуска", "app-crash:ru"),
    ("ru", "приложение тормозит", "app-slow:ru"),
    ("ru", "каталог очень долго грузится", "app-slow:ru"),
    (
        "ru",
        "на старом телефоне всё в приложении ужасно медленно, страницы открываются по минуте",
        "app-slow:ru",
    ),
    # more, written as a second batch
    (
        "en",
        "Hi, I returned the jacket two weeks ago and the refund still hasn't hit my mastercard. Your site says it was processed. When will the bank actually show it?",
        "refund-card:en",
    ),
    ("en", "refnd to wallet", "refund-wallet:en"),
    ("en", "the pin for signing in never shows up on my phone", "signin-code:en"),
    ("en", "paid by transfer and nothing happened with my balance", "payment-not-credited:en"),
    ("en", "money got taken twice", "double-charge:en"),
    ("en", "Package Is Late", "delivery-late:en"),
    ("en", "half of my order is missing", "missing-item:en"),
    ("en", "i was renewed and billed even though i didnt want to continue", "renewal-charge:en"),
    ("en", "new phone, authenticator app empty, backup codes?", "two-factor-lost:en"),
    (
        "ru",
        "Здравствуйте, две недели назад вернула куртку, а деньги на мастеркард так и не вернулись. На сайте написано что возврат оформлен. Когда банк их покажет?",
        "refund-card:ru",
    ),
    ("ru", "возрат на кошелек юмани", "refund-wallet:ru"),
    ("ru", "смс для входа так и не пришло", "signin-code:ru"),
    ("ru", "оплатил переводом а баланс не пополнился", "payment-not-credited:ru"),
    ("ru", "деньги сняли дважды", "double-charge:ru"),
    ("ru", "Посылка Опаздывает", "delivery-late:ru"),
    ("ru", "половины заказа нет в посылке", "missing-item:ru"),
    ("ru", "подписку продлили и списали деньги, хотя я не хотел продолжать", "renewal-charge:ru"),
    ("ru", "новый телефон, в аутентификаторе пусто, где резервные коды", "two-factor-lost:ru"),
]
