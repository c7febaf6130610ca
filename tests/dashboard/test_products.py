"""Products on the dashboard: create, edit, inline price and stock, hide, search, CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from aiohttp import FormData

from store.models import Category, Product
from tests.dashboard.conftest import Dashboard
from tests.test_chat_flow import place_order


async def signed_in(dash: Dashboard) -> Dashboard:
    await dash.login()
    return dash


async def test_create_shows_errors_next_to_fields_then_saves(dash: Dashboard) -> None:
    await signed_in(dash)
    form = {"title": "", "price": "12.345", "stock": "-1", "image_url": "ftp://x"}
    status, body, _ = await dash.post("/dashboard/products", form)
    assert status == 400
    for field, message in (
        ("title", "1 to 120 characters"),
        ("price", "at most 2 decimals"),
        ("stock", "whole number"),
        ("image_url", "http(s) link"),
    ):
        # The message sits right after its own input, marked for screen readers.
        chunk = body.split(f'id="f-{field}"')[1].split("</label>")[0]
        assert f'id="err-{field}"' in chunk and message in chunk, field
    assert 'value="12.345"' in body  # what was typed is kept
    assert await Product.filter(price=Decimal("12.35")).count() == 0

    form = {"title": "Jasmine 茉莉花茶", "price": "23.50", "stock": "9", "category": "Tea 2"}
    status, _, location = await dash.post("/dashboard/products", form)
    assert status == 303 and "done=created" in location
    product = await Product.get(title="Jasmine 茉莉花茶").prefetch_related("category")
    assert product.price == Decimal("23.50") and product.stock == 9
    assert product.category.name == "Tea 2"
    # Customers find it in chat at once.
    assert "Jasmine" in await dash.chat.text("alice", "/search 茉莉")


async def test_edit_changes_every_field_and_search_follows(dash: Dashboard) -> None:
    await signed_in(dash)
    status, body = await dash.get("/dashboard/products/4")
    assert status == 200 and "Handmade nougat" in body
    form = {
        "title": "Sesame brittle 芝麻糖",
        "price": "19.90",
        "stock": "33",
        "description": "Crunchy",
        "category": "零食 Snacks",
        "image_url": "https://example.com/a.jpg",
    }
    status, _, _ = await dash.post("/dashboard/products/4", form)
    assert status == 303
    product = await Product.get(id=4)
    assert (product.title, product.price, product.stock) == (
        "Sesame brittle 芝麻糖",
        Decimal("19.90"),
        33,
    )
    assert product.image_url == "https://example.com/a.jpg"
    assert "Sesame" in await dash.chat.text("alice", "/search 芝麻")
    assert "Nothing found" in await dash.chat.text("alice", "/search nougat")
    assert await Category.filter(name="零食 Snacks").count() == 1  # reused, not duplicated

    status, body, _ = await dash.post("/dashboard/products/4", form | {"price": "abc"})
    assert status == 400 and "is not an amount of money" in body
    assert (await Product.get(id=4)).price == Decimal("19.90")
    status, body, _ = await dash.post("/dashboard/products/4", form | {"price": " "})
    assert status == 400 and "The amount of money is missing" in body
    assert (await Product.get(id=4)).price == Decimal("19.90")
    status, body, _ = await dash.post("/dashboard/products/4", form | {"category": "c" * 41})
    assert status == 400 and "at most 40 characters" in body  # refused, not cut to 40
    assert not await Category.filter(name="c" * 40).exists()


async def test_inline_price_and_stock(dash: Dashboard) -> None:
    await signed_in(dash)
    status, _, _ = await dash.post("/dashboard/products/2/quick", {"price": "99", "stock": "7"})
    assert status == 303
    product = await Product.get(id=2)
    assert (product.price, product.stock) == (Decimal("99.00"), 7)

    status, body, _ = await dash.post("/dashboard/products/2/quick", {"price": "0", "stock": "x"})
    assert status == 400
    row = body.split('id="product-2"')[1].split("</tr>")[0]
    assert "more than zero" in row and "Stock must be a whole number" in row
    product = await Product.get(id=2)
    assert (product.price, product.stock) == (Decimal("99.00"), 7)


async def test_hide_and_show(dash: Dashboard) -> None:
    await signed_in(dash)
    await dash.post("/dashboard/products/3/visibility", {"visible": "0"})
    assert not (await Product.get(id=3)).active
    assert "no product 3" in await dash.chat.text("alice", "/product 3")
    _, body = await dash.get("/dashboard/products?show=hidden")
    assert "Pu&#39;er tea cake" in body
    assert "Longjing" not in body
    await dash.post("/dashboard/products/3/visibility", {"visible": "1"})
    assert (await Product.get(id=3)).active


async def test_search_lists_matching_products(dash: Dashboard) -> None:
    await signed_in(dash)
    _, body = await dash.get("/dashboard/products?q=tea")
    assert "Longjing" in body and "nougat" not in body
    _, body = await dash.get("/dashboard/products?q=<script>")
    assert "<script>" not in body and "&lt;script&gt;" in body  # escaped, not run
    _, body = await dash.get("/dashboard/products?show=hidden")  # none hidden: not "no products"
    assert "No product matches." in body and "Add your first one" not in body


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())  # Excel reads UTF-8 with a BOM
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_export_then_import_round_trip(dash: Dashboard) -> None:
    await signed_in(dash)
    await Product.filter(id=1).update(title="=HYPERLINK(evil)")
    resp = await dash.client.get("/dashboard/products.csv")
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = rows_of(await resp.read())
    assert len(rows) == 9 and rows[1]["title"].startswith("安溪铁观音")
    assert rows[0]["title"] == "'=HYPERLINK(evil)"  # a spreadsheet will not run it

    rows[0]["title"] = "=Longjing again"
    rows[1]["price"] = "88.80"
    rows.append({"id": "", "title": "新品 New tea", "price": "10", "stock": "3", "visible": "no"})
    result = await upload(dash, to_csv(rows))
    assert result[0] == 200 and "1 new, 9 updated" in result[1]
    assert (await Product.get(id=1)).title == "=Longjing again"
    assert (await Product.get(id=2)).price == Decimal("88.80")
    new = await Product.get(title="新品 New tea")
    assert new.stock == 3 and not new.active


def to_csv(rows: list[dict[str, str]], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode(encoding)


async def upload(dash: Dashboard, data: bytes) -> tuple[int, str]:
    form = FormData()
    form.add_field("csrf", dash.csrf)
    form.add_field("file", data, filename="products.csv", content_type="text/csv")
    resp = await dash.client.post("/dashboard/products/import", data=form)
    return resp.status, await resp.text()


async def test_a_bad_row_imports_nothing_and_says_where(dash: Dashboard) -> None:
    await signed_in(dash)
    rows = [
        {"id": "1", "title": "Renamed", "price": "1.00", "stock": "1", "visible": ""},
        {"id": "", "title": "Good new", "price": "5", "stock": "5", "visible": ""},
        {"id": "", "title": "Bad price", "price": "5.555", "stock": "5", "visible": ""},
        {"id": "99999", "title": "Not mine", "price": "5", "stock": "5", "visible": "maybe"},
    ]
    status, body = await upload(dash, to_csv(rows))
    assert status == 400 and "Nothing was imported" in body
    report = body.split("<tbody>")[1]
    lines = [r for r in report.split("<tr>")[1:]]
    assert ">4<" in lines[0] and "price" in lines[0]  # line 4 of the file: header is line 1
    assert any(">5<" in r and "visible" in r for r in lines)
    assert any(">5<" in r and "no product 99999" in r for r in lines)
    assert (await Product.get(id=1)).title.startswith("西湖龙井")
    assert await Product.filter(title="Good new").count() == 0


async def test_import_reads_chinese_excel_files(dash: Dashboard) -> None:
    await signed_in(dash)
    data = "商品名称,价格,库存,分类\n桂圆干 Dried longan,25.00,12,零食 Snacks\n".encode("gb18030")
    status, body = await upload(dash, data)
    assert status == 200, body
    product = await Product.get(title="桂圆干 Dried longan").prefetch_related("category")
    assert product.category.name == "零食 Snacks"


async def test_import_without_a_file_or_columns(dash: Dashboard) -> None:
    await signed_in(dash)
    status, body, _ = await dash.post("/dashboard/products/import", {})
    assert status == 400 and 'id="err-file"' in body
    status, body = await upload(dash, b"name,cost\nx,1\n")
    assert status == 400 and "“title” column" in body


async def test_a_change_in_a_searched_list_returns_to_the_same_search(dash: Dashboard) -> None:
    await signed_in(dash)
    _, body = await dash.get("/dashboard/products?q=tea&show=visible")
    row = body.split('id="product-2"')[1].split("</tr>")[0]
    assert 'name="q" value="tea"' in row and 'name="show" value="visible"' in row
    form = {"price": "99", "stock": "7", "q": "tea", "show": "visible"}
    status, _, location = await dash.post("/dashboard/products/2/quick", form)
    assert status == 303
    assert location == "/dashboard/products?q=tea&show=visible&done=saved&id=2"
    # A refused change shows the same search, the row's typed values kept.
    status, body, _ = await dash.post("/dashboard/products/2/quick", form | {"price": "12,50"})
    assert status == 400 and "Longjing" in body and "nougat" not in body
    assert 'value="12,50"' in body.split('id="product-2"')[1].split("</tr>")[0]
    status, _, location = await dash.post(
        "/dashboard/products/3/visibility", {"visible": "0", "q": "tea"}
    )
    assert location == "/dashboard/products?q=tea&done=hidden&id=3"


async def test_reloading_the_import_result_does_not_import_again(dash: Dashboard) -> None:
    await signed_in(dash)
    form = FormData()
    form.add_field("csrf", dash.csrf)
    data = to_csv([{"title": "Once only", "price": "5", "stock": "5"}])
    form.add_field("file", data, filename="products.csv", content_type="text/csv")
    resp = await dash.client.post("/dashboard/products/import", data=form, allow_redirects=False)
    assert resp.status == 303
    location = resp.headers["Location"]
    assert location == "/dashboard/products/import?created=1&updated=0"
    for _ in range(2):  # shown, and shown again on a reload
        status, body = await dash.get(location)
        assert status == 200 and "Imported: 1 new, 0 updated." in body
    assert await Product.filter(title="Once only").count() == 1


async def test_a_products_picture_is_seen_in_the_list_and_its_form(dash: Dashboard) -> None:
    await signed_in(dash)
    url = "https://img.example.com/longjing.jpg?w=400&h=400"
    await Product.filter(id=1).update(image_url=url)
    _, body = await dash.get("/dashboard/products")
    escaped = url.replace("&", "&amp;")
    assert f'<img class="thumb" src="{escaped}"' in body.split('id="product-1"')[1]
    assert "<img" not in body.split('id="product-2"')[1].split("</tr>")[0]  # none: no picture
    _, body = await dash.get("/dashboard/products/1")
    assert 'id="picture"' in body and escaped in body
    _, body = await dash.get("/dashboard/products/2")
    assert 'id="picture"' not in body


async def test_the_note_names_the_product_it_is_about(dash: Dashboard) -> None:
    await signed_in(dash)
    status, _, location = await dash.post(
        "/dashboard/products/3/visibility", {"visible": "0", "show": "visible"}
    )
    assert status == 303
    _, body = await dash.get(location)  # the list of those shown: the hidden one isn't in it
    assert "Pu&#39;er tea cake 357g: hidden from the catalog." in body
    _, _, location = await dash.post("/dashboard/products/2/quick", {"price": "9", "stock": "1"})
    _, body = await dash.get(location)
    assert "Tieguanyin oolong 200g: saved." in body
    _, body = await dash.get("/dashboard/products?done=saved&id=99999")  # none: just "Saved."
    assert '<p class="flash" role="status">✓ Saved.</p>' in body


async def test_numbers_typed_on_a_chinese_keyboard_are_read(dash: Dashboard) -> None:
    """Full-width characters (a Chinese keyboard in full-width mode) are the same numbers."""
    await signed_in(dash)
    typed = {"price": "８８．８", "stock": "１２"}
    status, _, _ = await dash.post("/dashboard/products/2/quick", typed)
    assert status == 303
    product = await Product.get(id=2)
    assert (product.price, product.stock) == (Decimal("88.80"), 12)
    form = {"title": "全角 Tea", "price": "¥ １０", "stock": "５"}
    status, _, _ = await dash.post("/dashboard/products", form)
    assert status == 303
    new = await Product.get(title="全角 Tea")
    assert (new.price, new.stock) == (Decimal("10.00"), 5)


async def _order_two_of_tea(dash: Dashboard) -> None:
    """A customer's order of 2 × #1 (stock 50 → 48), placed while a form is open."""
    await place_order(dash.chat, qty=2)
    assert (await Product.get(id=1)).stock == 48


async def test_saving_an_open_form_never_undoes_an_order_placed_meanwhile(dash: Dashboard) -> None:
    await signed_in(dash)
    status, body = await dash.get("/dashboard/products/1")
    assert 'name="stock_was" value="50"' in body
    form = {
        "title": "West Lake Longjing 特级",
        "price": "128.00",
        "stock": "50",  # as the form showed it: not touched
        "stock_was": "50",
        "description": "",
        "category": "",
        "image_url": "",
    }
    await _order_two_of_tea(dash)
    status, _, _ = await dash.post("/dashboard/products/1", form)
    assert status == 303
    product = await Product.get(id=1)
    assert product.title == "West Lake Longjing 特级" and product.stock == 48  # not back to 50

    # Stock typed while an order came in: refused, nothing written, the form says why.
    await place_order(dash.chat, "bob", qty=2)  # 48 → 46
    status, body, _ = await dash.post("/dashboard/products/1", form | {"stock": "60", "title": "X"})
    assert status == 400 and "Orders changed the stock to 46 since this page was shown" in body
    assert 'name="stock_was" value="46"' in body  # saving again now sets it
    product = await Product.get(id=1)
    assert (product.title, product.stock) == ("West Lake Longjing 特级", 46)
    status, _, _ = await dash.post(
        "/dashboard/products/1", form | {"stock": "60", "stock_was": "46"}
    )
    assert status == 303 and (await Product.get(id=1)).stock == 60


async def test_the_lists_quick_edit_never_undoes_an_order_placed_meanwhile(
    dash: Dashboard,
) -> None:
    await signed_in(dash)
    status, body = await dash.get("/dashboard/products")
    assert 'form="quick-1" type="hidden" name="stock_was" value="50"' in body
    await _order_two_of_tea(dash)
    row = {"price": "120.00", "stock": "50", "stock_was": "50"}
    status, _, _ = await dash.post("/dashboard/products/1/quick", row)
    product = await Product.get(id=1)
    assert status == 303 and (product.price, product.stock) == (Decimal("120.00"), 48)
    status, body, _ = await dash.post("/dashboard/products/1/quick", row | {"stock": "70"})
    assert status == 400 and "Orders changed the stock to 48" in body
    assert (await Product.get(id=1)).stock == 48
