from .context import change_context


class ChangeLoggingMiddleware:
    """Tie every write made while serving a request to that request and its user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = "api" if request.path.startswith("/api/") else "web"
        addr = request.META.get("REMOTE_ADDR", "")
        with change_context(source=source, request=request, remote_addr=addr) as ctx:
            request.id = ctx.request_id
            return self.get_response(request)
