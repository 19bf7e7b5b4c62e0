# The image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CRISISROOM_DATA_DIR=/app/var
WORKDIR /app
# Noto Sans CJK: Chinese text in the post-crisis review's PDF export.
RUN apt-get update && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*
COPY requirements/base.lock requirements/base.lock
RUN pip install --no-cache-dir --require-hashes -r requirements/base.lock
COPY . .
RUN useradd --create-home crisisroom && mkdir -p /app/var && chown crisisroom /app/var
USER crisisroom
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "crisisroom.asgi:application"]
