from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str


# Documented error responses shared by operations (the handler in marketplace/api.py emits them).
ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def errors(*codes: int) -> dict:
    return {code: ErrorOut for code in codes}
