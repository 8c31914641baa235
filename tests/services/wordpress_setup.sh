#!/usr/bin/env bash
# Installs Debian's WordPress and prepares its database on the local MariaDB, for the channel
# tests. Idempotent; run by .ci/run before the tests (needs root, as CI and developers have).
set -euo pipefail
if [ ! -f /usr/share/wordpress/wp-settings.php ] || ! command -v php >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wordpress php-cli php-mysql >/dev/null
fi
mysql -u root <<'SQL'
CREATE DATABASE IF NOT EXISTS mediacheck_wp;
CREATE USER IF NOT EXISTS 'mediacheck_wp'@'localhost' IDENTIFIED BY 'mediacheck_wp';
CREATE USER IF NOT EXISTS 'mediacheck_wp'@'127.0.0.1' IDENTIFIED BY 'mediacheck_wp';
GRANT ALL PRIVILEGES ON mediacheck_wp.* TO 'mediacheck_wp'@'localhost';
GRANT ALL PRIVILEGES ON mediacheck_wp.* TO 'mediacheck_wp'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
cat > /etc/wordpress/config-127.0.0.1.php <<'PHP'
<?php
define('DB_NAME', 'mediacheck_wp');
define('DB_USER', 'mediacheck_wp');
define('DB_PASSWORD', 'mediacheck_wp');
define('DB_HOST', '127.0.0.1');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('WP_ENVIRONMENT_TYPE', 'local');
PHP
mkdir -p /var/lib/wordpress/wp-content/uploads
echo "WordPress ready for the channel tests"
