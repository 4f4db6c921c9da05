# Amparo's HTTP API, from the wheel built in the first stage, run as a non-root user.
#
#   docker build -t amparo .
#   docker run -p 8000:8000 -e AMPARO_DATABASE_URL=postgresql+psycopg://... amparo
#
# Any amparo command runs the same way: `docker run amparo bank list` (the entrypoint is
# `amparo`; the default command serves the API on every interface). compose.yaml runs it
# with PostgreSQL and a witness.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir /tmp/dist/amparo-*.whl \
    && rm -rf /tmp/dist \
    && useradd --system --uid 10001 --home-dir /var/lib/amparo --create-home amparo
ENV AMPARO_DATA_DIR=/var/lib/amparo \
    PYTHONUNBUFFERED=1
VOLUME /var/lib/amparo
WORKDIR /var/lib/amparo
USER amparo
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
ENTRYPOINT ["amparo"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
