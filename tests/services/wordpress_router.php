<?php
// Router for `php -S`: serves WordPress's uploads from /var/lib/wordpress as Debian's Apache
// alias does, and hands every other request to WordPress itself.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (strncmp($path, '/wp-content/uploads/', 20) === 0) {
    $file = realpath('/var/lib/wordpress' . $path);
    if ($file !== false && strncmp($file, '/var/lib/wordpress/wp-content/uploads/', 38) === 0 && is_file($file)) {
        header('Content-Type: ' . mime_content_type($file));
        readfile($file);
    } else {
        http_response_code(404);
    }
    return true;
}
return false;
