# Multi-stage build: wheels in a builder, a slim non-root runtime that runs `pulse serve`.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY connectors ./connectors
COPY metrics ./metrics
RUN pip install --no-cache-dir --upgrade pip \
 && pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PULSE_DATABASE_URL=sqlite:////data/pulse.db PULSE_CONTRACTS=/config/pulse.yaml
RUN useradd --system --create-home --uid 10001 pulse \
 && mkdir -p /data /config && chown pulse /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER pulse
WORKDIR /home/pulse
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status == 200 else 1)"
CMD ["sh", "-c", "pulse migrate && exec pulse serve --host 0.0.0.0 --port 8000"]
