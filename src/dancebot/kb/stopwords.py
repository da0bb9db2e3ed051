"""Russian words that carry no topic in a client's question (lexicon; folded: ё → е).

Both surface forms and dictionary forms are listed, because FAQ search drops a word when
either is here. Question words are in ("где можно припарковаться" is about parking, not
the address), and so are greetings and politeness: they would otherwise dilute the score
of a short question ("добрый день, есть парковка?").
"""

from __future__ import annotations

_LEXICON = """
а без где куда откуда более бы был была были было быть в вам вас весь во вот все всегда
всего всех вы да даже для до должен его ее ей если есть еще же за здесь и из или им их к
как какой каков какая какие какое когда-нибудь кто ли либо мне меня мной может можно мочь
мой мы на над надо наш не него нее нельзя нет ни нибудь но ну нужно нужный о об один он она
они оно от очень по под при про раз с сам свой себе себя со так также такой там те тем то
тоже только тот ты у уже хотеть хотя чего чей чем что чтобы чуть эта эти это этот я ваш
твой вообще просто подсказать сказать пожалуйста пжл здравствовать здравствуйте привет
добрый день вечер утро спасибо скажите подскажите интересно интересовать узнать хотеться
хотелось сколько который кое-что какой-то кто-то что-то делать сделать делаете
разве ли вообще-то ладно ок
"""

STOP_WORDS: frozenset[str] = frozenset(_LEXICON.split())
