"""The HTML the real CRM answers when it is not answering with data: its login page (a bad
or missing key, with HTTP 200), its 404 page and a proxy's 503 page. The client must
recognise these as failures, so they look like the real thing rather than like an API."""

from __future__ import annotations

from starlette.responses import HTMLResponse

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="ru">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Вход в систему — Impulse CRM</title>
  <link rel="stylesheet" href="/css/login.css">
</head>
<body class="login-page">
  <div class="login-box">
    <div class="login-logo"><b>Impulse</b> CRM</div>
    <form action="/login" method="post" class="login-form">
      <input type="hidden" name="_csrf" value="bG9naW4tZm9ybS10b2tlbg==">
      <label for="login">Логин</label>
      <input type="text" id="login" name="LoginForm[username]" autocomplete="username">
      <label for="password">Пароль</label>
      <input type="password" id="password" name="LoginForm[password]"
             autocomplete="current-password">
      <label><input type="checkbox" name="LoginForm[rememberMe]" value="1"> Запомнить меня</label>
      <button type="submit">Войти</button>
    </form>
  </div>
</body>
</html>
"""

NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="ru">
<head><meta charset="utf-8"><title>Not Found (#404)</title></head>
<body>
  <h1>Not Found (#404)</h1>
  <p>Страница не найдена.</p>
</body>
</html>
"""

METHOD_NOT_ALLOWED_PAGE = """<!DOCTYPE html>
<html lang="ru">
<head><meta charset="utf-8"><title>Method Not Allowed (#405)</title></head>
<body><h1>Method Not Allowed (#405)</h1></body>
</html>
"""

UNAVAILABLE_PAGE = """<html>
<head><title>503 Service Temporarily Unavailable</title></head>
<body>
<center><h1>503 Service Temporarily Unavailable</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""

TOO_MANY_REQUESTS_PAGE = """<html>
<head><title>429 Too Many Requests</title></head>
<body>
<center><h1>429 Too Many Requests</h1></center>
<hr><center>nginx</center>
</body>
</html>
"""


def login_page() -> HTMLResponse:
    """HTTP 200 with the login form: what a bad key gets instead of data."""
    return HTMLResponse(LOGIN_PAGE, status_code=200)


def not_found_page() -> HTMLResponse:
    return HTMLResponse(NOT_FOUND_PAGE, status_code=404)


def method_not_allowed_page(allowed: str) -> HTMLResponse:
    return HTMLResponse(METHOD_NOT_ALLOWED_PAGE, status_code=405, headers={"Allow": allowed})


def unavailable_page() -> HTMLResponse:
    return HTMLResponse(UNAVAILABLE_PAGE, status_code=503)


def rate_limited_page(retry_after: int = 1) -> HTMLResponse:
    return HTMLResponse(
        TOO_MANY_REQUESTS_PAGE, status_code=429, headers={"Retry-After": str(retry_after)}
    )
