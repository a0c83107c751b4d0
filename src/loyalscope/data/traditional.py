"""Traditional Chinese headers read as Simplified: ``會員卡號`` is ``会员卡号``, ``訂單編號``
``订单编号``, so that Taiwan and Hong Kong exports (the Ta Feng grocery files' ``日期;會員卡號;
年齡;區域;商品分類;商品編碼;數量;成本;銷售``) match the Simplified aliases and status words.

:data:`TO_SIMPLIFIED` maps each Traditional character whose Simplified form appears in the alias
tables (:mod:`loyalscope.data.aliases`) or the status words (:mod:`loyalscope.data.shapes.statuses`)
to that form; other characters are left as they are (a header is only compared, never shown
converted). Generated from OpenCC's Traditional-to-Simplified character table (``t2s``, Apache-2.0)
over U+4E00-U+9FFF, restricted to those Simplified characters; regenerate it when the alias
tables gain characters (``scripts/gen_traditional.py``, which needs ``opencc-python-reimplemented``).
"""

from __future__ import annotations

_TRADITIONAL = (
    "佔來係備傢價優兌內冊凈別創動區員問單嚮嚴報實審寫寶對帳廢彆彔後復態應戶捲換摺擇敗"
    "數時曏會東査標機決淨滿潤無爭狀獲產産發確碼種稱積穫競簽籤約級細紹終結絕統絶網編總"
    "繫續羣聯薦號衕複覈見訂計記訴註評誌認誠調請論議讚貓貝貨買費資賣賬購贊轉迴運過選郵"
    "釦銷錄錢録錶長閉開間閤關際題額願類顧饋體髮齡"
)
_SIMPLIFIED = (
    "占来系备家价优兑内册净别创动区员问单向严报实审写宝对帐废别录后复态应户卷换折择败"
    "数时向会东查标机决净满润无争状获产产发确码种称积获竞签签约级细绍终结绝统绝网编总"
    "系续群联荐号同复核见订计记诉注评志认诚调请论议赞猫贝货买费资卖账购赞转回运过选邮"
    "扣销录钱录表长闭开间合关际题额愿类顾馈体发龄"
)
TO_SIMPLIFIED = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
"""``str.translate`` table: Traditional character -> Simplified character."""
