# One image for every component: the command picks which (see docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md ./
COPY simulators ./simulators
COPY integration ./integration
COPY contracts ./contracts
COPY sandbox ./sandbox
COPY loadtests ./loadtests
COPY q2c ./q2c
RUN pip install --no-cache-dir '.[load,verify]'
# State (SQLite, TLS CA) lives under /app/.q2c; mount a volume there to keep it.
VOLUME ["/app/.q2c"]
EXPOSE 8701 8702 8703 8089
CMD ["q2c", "up", "--host", "0.0.0.0"]
