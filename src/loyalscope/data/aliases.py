"""Header and file-name aliases of the exports people have (read by :mod:`loyalscope.data.mapping`).

Sources of the spellings: the project's simulator and CRM presets; the UCI Online Retail
(I and II) invoice-line exports; the Olist marketplace export (orders, customers, payments,
items, reviews, products); Shopify's documented order export (one row per line item, order
fields on the first line only); WooCommerce order exports (built-in analytics and the common
order-export plugins); 淘宝 / 天猫 order reports (订单编号, 买家会员名, 总金额, 买家实际支付金额, 订单状态,
订单创建时间, 订单付款时间, 退款金额; 退款报表: 退款的申请时间, 买家退款金额, 退款状态), 京东 (订单号, 下单帐号, 订购数量, 京东价, 应付金额), 有赞 / 微店 (买家昵称,
买家手机号, 商品单价, 订单实付金额); Kaggle's Sample Sales Data (BIRT ClassicModels: ORDERNUMBER,
QUANTITYORDERED, PRICEEACH, PRODUCTCODE, PRODUCTLINE, SALES); dunnhumby's The Complete Journey
(household_key, BASKET_ID, DAY, SALES_VALUE: its DAY is a day number, read with ``[data] day_one``). See ``tests/data/README.md`` for the samples behind the tests.
"""

from __future__ import annotations

# Aliases shared by every table that has the column.
_COMMON: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "客户编号", "客户ID", "客户id", "客户号", "客户代码", "会员号", "会员编号", "会员ID", "会员卡号",
        "用户ID", "用户编号", "顾客编号", "customer id", "Customer_No", "customer number", "cust id",
        "client id", "member id", "user id", "customerid", "custid",
        # 淘宝 / 天猫 / 京东 / 有赞 / 微店 order reports
        "买家会员名", "买家账号", "买家ID", "买家id", "会员名", "下单帐号", "下单账号", "买家昵称", "用户账号",
        # ERP / POS line exports, WooCommerce
        "customer no", "customer code", "account id", "customer user id", "buyer id",
        # dunnhumby's The Complete Journey (household_key), panel and loyalty-card data
        "household key", "household id", "household",
    ),
    "order_id": (
        "订单编号", "订单号", "订单ID", "单号", "销售单号", "order id", "order no", "order number",
        "Order_No", "orderid", "invoice no", "invoice id", "invoice", "invoice number", "invoiceno",
        "order #", "订单号码", "交易编号", "交易单号", "主订单编号", "主订单号", "receipt no", "receipt number",
        "document no", "bill no", "transaction id", "transaction no", "transaction number",
        "basket id", "basket no",  # dunnhumby's BASKET_ID: one shopping trip
    ),
    "channel": ("渠道", "销售渠道", "来源渠道", "获客渠道", "channel", "source", "sales channel"),
    "category": ("品类", "类别", "分类", "商品类别", "商品分类", "投诉类别", "category", "product category",
                 "product category name", "商品分类", "类目", "product line", "department"),
    "region": ("地区", "区域", "省份", "城市", "region", "area", "province", "city", "country", "state",
               "customer state"),
}

_TABLE_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "customers": {
        "person_id": ("customer unique id", "person id", "unique customer id", "global customer id",
                      "统一客户编号", "自然人编号", "客户唯一编号", "one id", "oneid"),
        "signup_date": ("注册时间", "注册日期", "入会日期", "开户日期", "首次购买日期", "signup date",
                        "registration date", "join date", "created at", "signup"),
        "acquisition_cost": ("获客成本", "获取成本", "acquisition cost", "cac"),
        "gender": ("性别", "gender", "sex"),
        "age": ("年龄", "age"),
        "member_tier": ("会员等级", "等级", "会员级别", "tier", "member tier", "level", "vip level"),
        "is_employee": ("是否员工", "员工", "is employee", "employee"),
        "came_from_competitor": ("来自竞争对手", "是否来自竞品", "from competitor", "came from competitor"),
        "churn_reason": ("流失原因", "churn reason", "reason for leaving"),
        "tenure": ("tenure", "tenure months", "tenure in months", "在网时长", "在网月数", "网龄", "入网时长"),
        "churned": ("churn", "churned", "churn label", "churn value", "exited", "是否流失", "流失", "已流失",
                    "流失标志"),
        "fee": ("monthly charges", "monthly charge", "monthly fee", "月费", "月租", "月租费", "月消费"),
        "plan": ("contract", "contract type", "plan", "subscription plan", "合约类型", "合约", "套餐", "套餐类型"),
        # a member list's purchase totals (有赞, 微盟, Shopify's "Total Orders" / "Total Spent")
        "order_count": ("累计消费次数", "消费次数", "累计购买次数", "购买次数", "累计订单数", "订单总数",
                        "累计成交次数", "成交次数", "total orders", "orders count", "order count",
                        "number of orders"),
        "total_spend": ("累计消费金额", "累计消费", "消费总额", "消费总金额", "总消费金额", "累计消费额",
                        "累计成交金额", "成交总额", "total spent", "total spend", "amount spent",
                        "lifetime spend"),
        "first_order_ts": ("首次消费时间", "第一次消费时间", "首次购买时间", "首单时间", "首次下单时间",
                           "first order date", "first purchase date", "first order"),
        "last_order_ts": ("最近消费时间", "最后消费时间", "最近购买时间", "上次消费时间", "最近下单时间",
                          "最后购买时间", "最近成交时间", "最后一次消费时间", "last order date",
                          "last purchase date", "last order", "date of last order"),
    },
    "transactions": {
        "order_ts": ("下单时间", "订单日期", "成交时间", "下单日期", "交易时间", "交易日期", "购买时间",
                     "购买日期", "支付时间", "order date", "order time", "Created_Time", "order ts",
                     "purchase date", "transaction date", "date", "invoice date", "invoicedate",
                     "order purchase timestamp", "订单创建时间", "创建时间", "订单时间", "created at", "date created",
                     "order created", "sale date", "receipt date", "transaction dt", "transaction time",
                     "transaction datetime", "trans date", "txn date", "日期"),
        "amount": ("实付金额", "订单金额", "金额", "成交金额", "交易金额", "销售额", "销售", "支付金额", "amount",
                   "Grand_Total", "total", "order amount", "sales", "revenue", "总金额", "订单总金额", "订单总额",
                   "商品总价", "line total", "order total", "order total amount", "net sales", "total price",
                   "totalprice", "line amount", "应付金额", "total amount", "purchase amount",
                   "total purchase amount", "sales value"),
        "product_id": ("商品编号", "商品ID", "产品编号", "产品ID", "SKU", "product id", "item id", "stock code",
                       "stockcode", "lineitem sku", "商品编码", "货号", "商家编码", "product code"),
        "quantity": ("数量", "购买数量", "件数", "quantity", "qty", "宝贝总数量", "商品数量", "订购数量",
                     "lineitem quantity", "items sold", "units", "quantity ordered"),
        "unit_price": ("单价", "商品单价", "成交单价", "销售单价", "unit price", "unitprice", "price",
                       "lineitem price", "item price", "京东价", "price each", "price per unit",
                       "product price"),
        "status": ("订单状态", "交易状态", "状态", "order status", "status", "financial status",
                   "payment status", "订单交易状态"),
        "paid_amount": ("买家实际支付金额", "实际支付金额", "实收金额", "实付款", "订单实付金额", "amount paid",
                        "paid amount", "total paid"),
        "refund_amount": ("退款金额", "退货金额", "已退款金额", "refund amount", "refunded amount",
                          "amount refunded", "refunds"),
        "paid_ts": ("订单付款时间", "付款时间", "支付完成时间", "paid at", "payment date", "paid date",
                    "order approved at", "payment time"),
        "lines": ("行数", "商品行数", "宝贝种类", "line count", "lines"),
        "gross_amount": ("原价金额", "gross amount", "gross sales"),
        "discount": ("折扣", "折扣金额", "优惠金额", "优惠", "discount"),
        "margin": ("毛利", "毛利额", "利润", "margin", "gross margin", "profit"),
        "is_promo": ("是否促销", "促销", "is promo", "promo", "promotion"),
    },
    "returns": {
        "return_id": ("退款编号", "退货编号", "退款单号", "退货单号", "售后单号", "售后编号", "refund id",
                      "return id", "rma number", "rma"),
        # 淘宝 / 天猫 退款报表: 退款的申请时间, 买家退款金额, 买家退款原因, 退款状态, 买家会员名称
        "return_ts": ("退货时间", "退货日期", "退款时间", "退款日期", "return date", "return time",
                      "refund date", "return ts", "退款的申请时间", "退款申请时间", "申请退款时间",
                      "refund requested at", "requested at"),
        "amount": ("退款金额", "退货金额", "金额", "refund amount", "return amount", "amount",
                   "买家退款金额"),
        "reason": ("退货原因", "退款原因", "原因", "reason", "return reason", "买家退款原因",
                   "refund reason"),
        "customer_id": ("退货客户", "returned by", "买家会员名称"),
        "status": ("退款状态", "退货状态", "售后状态", "refund status", "return status", "status", "状态",
                   "returned", "是否退货", "已退货"),
    },
    "payments": {
        "amount": ("payment value", "payment amount", "支付金额", "付款金额", "amount paid", "paid"),
        "paid_ts": ("payment date", "paid at", "支付时间", "付款时间", "payment time"),
        "method": ("payment type", "payment method", "支付方式", "付款方式", "method"),
        "installments": ("payment installments", "installments", "instalments", "分期数", "分期期数"),
        "sequence": ("payment sequential", "payment sequence", "支付序号", "sequence"),
    },
    "order_items": {
        "product_id": ("商品编号", "商品ID", "SKU", "product id", "item id", "stock code", "lineitem sku"),
        "line_no": ("order item id", "line no", "line number", "item no", "行号", "明细序号"),
        "quantity": ("数量", "quantity", "qty", "商品数量"),
        "unit_price": ("price", "unit price", "单价", "商品单价"),
        "amount": ("line total", "line amount", "小计", "金额", "amount"),
        "freight": ("freight value", "freight", "shipping", "运费"),
    },
    "products": {
        "product_id": ("商品编号", "商品ID", "产品编号", "SKU", "product id", "item id", "stock code"),
    },
    "reviews": {
        "review_id": ("评价编号", "评价ID", "review id", "rating id", "feedback id"),
        "score": ("review score", "rating", "stars", "star rating", "score", "评分", "星级", "评价分数",
                  "满意度评分"),
        "answered_ts": ("review creation date", "review date", "rated at", "评价时间", "评价日期", "created at"),
    },
    "complaints": {
        "complaint_id": ("投诉编号", "投诉单号", "工单号", "工单编号", "投诉ID", "complaint id",
                         "ticket id", "ticket no", "case id"),
        "opened_ts": ("投诉时间", "投诉日期", "创建时间", "受理时间", "opened", "opened at", "open date",
                      "created time", "complaint date"),
        "closed_ts": ("结案时间", "关闭时间", "解决时间", "closed", "closed at", "close date",
                      "resolved at"),
        "severity": ("严重程度", "级别", "严重性", "severity", "priority"),
        "resolved": ("是否解决", "已解决", "解决", "resolved", "is resolved"),
        "text": ("投诉内容", "投诉描述", "问题描述", "complaint text", "description", "complaint"),
    },
    "surveys": {
        "response_id": ("答卷编号", "问卷编号", "答卷ID", "序号", "response id", "respondent id",
                        "answer id"),
        # 提交答卷时间: 问卷星 (wjx.cn); Timestamp: Google Forms; RecordedDate: Qualtrics;
        # End Date: SurveyMonkey
        "answered_ts": ("提交时间", "提交答卷时间", "答卷时间", "答题时间", "填写时间", "调查日期",
                        "answered at", "submitted at", "submit time", "response date", "survey date",
                        "timestamp", "recorded date", "end date"),
        "nps": ("推荐意愿得分", "净推荐值", "推荐值", "nps", "nps score", "likelihood to recommend"),
        "csat": ("满意度", "总体满意度", "csat", "satisfaction"),
        "share_of_wallet": ("钱包份额", "消费占比", "share of wallet", "sow"),
        "recommend_intent": ("推荐意向", "推荐意愿", "recommend intent", "would recommend"),
        "repurchase_intent": ("复购意向", "再购意愿", "回购意愿", "repurchase intent", "would buy again"),
        "loyalty_score": ("忠诚度", "忠诚度得分", "loyalty score", "loyalty"),
        "price_sensitivity": ("价格敏感度", "price sensitivity"),
        "voluntary": ("自愿程度", "自愿性", "voluntary"),
        "alternatives": ("替代选择数", "备选品牌数", "alternatives", "number of alternatives"),
        "mention_unprompted": ("无提示提及", "未提示提及", "mention unprompted", "unaided mention"),
        "segment": ("细分", "客群", "segment"),
        "comment": ("评论", "意见", "建议", "留言", "comments", "open answer", "verbatim"),
    },
    "referrals": {
        "referrer_id": ("推荐人", "推荐人编号", "推荐人ID", "referrer id", "referrer"),
        "referred_id": ("被推荐人", "被推荐人编号", "被推荐人ID", "referred id", "referee id", "referee"),
        "referred_ts": ("推荐时间", "推荐日期", "referred at", "referral date", "referred ts"),
        "converted": ("是否转化", "已转化", "转化", "converted", "is converted"),
    },
    "interactions": {
        "ts": ("时间", "日期", "互动时间", "活动时间", "ts", "time", "timestamp", "date"),
        "kind": ("类型", "互动类型", "活动类型", "kind", "type", "interaction type"),
        "effective": ("是否有效", "有效", "effective", "is effective"),
        "text": ("反馈内容", "互动内容", "内容", "feedback text", "notes", "content"),
    },
    "contracts": {
        "start_date": ("开始日期", "合同开始日期", "生效日期", "起始日期", "start date", "start"),
        "end_date": ("结束日期", "合同结束日期", "到期日期", "终止日期", "end date", "end", "expiry date"),
        "renewed": ("是否续约", "续约", "已续约", "renewed", "is renewed"),
        "plan": ("套餐", "方案", "产品方案", "plan", "package"),
        "fee": ("费用", "合同金额", "年费", "fee", "contract value", "amount"),
    },
    "loyalty_points": {
        "ts": ("时间", "日期", "积分时间", "变动时间", "积分变动时间", "发生时间", "ts", "time", "date"),
        "points_earned": ("获得积分", "积分获得", "新增积分", "points earned", "earned"),
        "points_redeemed": ("兑换积分", "使用积分", "消耗积分", "points redeemed", "redeemed"),
        # a ledger of signed changes (+100 earned, -50 redeemed): a CRM's 积分明细
        "points_change": ("积分变动", "变动积分", "积分变化", "积分变动值", "积分增减", "积分变更",
                          "points change", "point change", "points delta", "change in points"),
    },
}

PRESETS: dict[str, dict[str, dict[str, tuple[str, ...]]]] = {
    # Ta Feng grocery lines (ACM RecSys; Kaggle's ta_feng_all_months_merged.csv): AMOUNT is the
    # number of items, SALES_PRICE the line's sales
    "tafeng": {
        "transactions": {
            "order_ts": ("TRANSACTION_DT",),
            "customer_id": ("CUSTOMER_ID",),
            "amount": ("SALES_PRICE",),
            "quantity": ("AMOUNT",),
            "product_id": ("PRODUCT_ID",),
            "category": ("PRODUCT_SUBCLASS",),
        },
    },
    # Qualtrics' export has an end and a recorded date (both answer-time aliases): the recorded
    # date is when the response was stored (its id row: RecordedDate, ResponseId)
    "qualtrics": {
        "surveys": {
            "response_id": ("Response ID", "ResponseId"),
            "answered_ts": ("Recorded Date", "RecordedDate"),
        },
    },
    "zoho": {
        "transactions": {
            "order_id": ("SO_Number", "Sales_Order_Id", "Record Id", "id"),
            "customer_id": ("Account_Name", "Contact_Name"),
            "order_ts": ("Created_Time", "Due_Date"),
            "amount": ("Grand_Total", "Sub_Total"),
            "discount": ("Discount",),
        },
        "customers": {
            "customer_id": ("Account_Name", "Contact_Name", "Record Id"),
            "signup_date": ("Created_Time",),
        },
    },
    "shopify": {
        "transactions": {
            "order_id": ("Name", "Id"),
            "customer_id": ("Email", "Billing Name"),
            "order_ts": ("Created at", "Paid at"),
            "amount": ("Total",),
            "status": ("Financial Status",),
            "refund_amount": ("Refunded Amount",),
            "paid_ts": ("Paid at",),
            "product_id": ("Lineitem sku",),
            "quantity": ("Lineitem quantity",),
            "unit_price": ("Lineitem price",),
            "discount": ("Discount Amount",),
            "channel": ("Source",),
        },
    },
    "fxiaoke": {
        "transactions": {
            "order_id": ("销售订单编号", "订单编号", "name"),
            "customer_id": ("客户名称", "account_id"),
            "order_ts": ("下单日期", "order_time", "创建时间"),
            "amount": ("销售订单金额", "order_amount"),
            "discount": ("整单折扣", "discount"),
        },
        "customers": {
            "customer_id": ("客户名称", "客户编号", "name"),
            "signup_date": ("创建时间", "create_time"),
        },
    },
}
"""CRM export presets: table -> canonical -> ordered candidate headers (first present wins)."""

_PRESET_MARKERS = {
    "qualtrics": ("Duration (in seconds)", "RecordedDate"),
    "tafeng": ("PRODUCT_SUBCLASS",),
    "zoho": ("SO_Number", "Sales_Order_Id", "Grand_Total"),
    "fxiaoke": ("销售订单编号", "销售订单金额"),
    "shopify": ("Financial Status", "Lineitem quantity", "Lineitem name"),
}

TABLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "transactions": ("transactions", "transaction", "orders", "order", "sales_orders", "salesorderobj",
                     "订单", "交易", "销售订单", "销售", "invoices", "order_report", "订单报表", "订单明细"),
    "customers": ("customers", "customer", "members", "accounts", "clients", "客户", "会员", "顾客",
                  "demographic", "households", "客户资料", "会员资料"),  # dunnhumby's hh_demographic
    "complaints": ("complaints", "complaint", "tickets", "投诉", "工单"),
    "returns": ("returns", "return", "refunds", "refund", "退货", "退款"),
    "surveys": ("surveys", "survey", "questionnaire", "responses", "问卷", "调查", "调研"),
    "referrals": ("referrals", "referral", "推荐", "转介绍"),
    "interactions": ("interactions", "interaction", "互动", "活动"),
    "contracts": ("contracts", "contract", "合同", "签约"),
    "loyalty_points": ("loyalty_points", "points", "积分"),
    "payments": ("payments", "order_payments", "支付明细", "付款明细", "支付记录"),
    "order_items": ("order_items", "orderitems", "order_lines", "line_items", "订单商品", "商品明细"),
    "products": ("products", "product_catalog", "商品", "商品资料"),
    "reviews": ("reviews", "order_reviews", "ratings", "评价", "评分"),
}

TABLE_NAMES: dict[str, str] = {"product": "products"}
"""File stems / table names that stand for a table only as a whole name (dunnhumby's
``product.csv``); as a synonym, ``product`` would also take ``product_sales.csv`` for products."""


_FALLBACK: dict[str, tuple[str, ...]] = {
    "customer_id": ("email", "customer email", "billing email", "buyer email", "e-mail", "邮箱",
                    "买家手机号", "手机号", "手机号码", "联系手机", "会员手机号", "customer phone", "phone",
                    "mobile", "customer", "customer name", "buyer", "买家", "客户名称", "客户", "会员"),
}
"""Low-priority spellings, used only when no alias above matches (the first one present wins):
an e-mail address or phone number is a usable person key when the export has no member id."""
