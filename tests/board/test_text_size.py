"""大字版 without script: a link sets a cookie and comes back; pages then say so on <html>; no open redirect."""


async def test_large_text_is_a_cookie_and_a_class(client):
    r = await client.get("/board/text-size", params={"size": "large", "back": "/board/notices/x"})
    assert r.status_code == 303 and r.headers["location"] == "/board/notices/x"
    assert "board_text=large" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    for away in ("https://evil.example/", "//evil.example/board", "/api/v1/auth/me", "/board\\\\evil"):
        assert (await client.get("/board/text-size", params={"back": away})).headers["location"] == "/board"
    client.cookies.set("board_text", "large", path="/board")
    page = (await client.get("/board")).text
    assert '<html lang="zh-CN" class="large-text">' in page and "标准字号" in page
    off = await client.get("/board/text-size", params={"size": "normal", "back": "/board"})
    assert off.status_code == 303 and 'board_text=""' in off.headers["set-cookie"]
    client.cookies.clear()
    page = (await client.get("/board")).text
    assert '<html lang="zh-CN">' in page and "大字版" in page
