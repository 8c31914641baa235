<?php
// Installs a fresh WordPress in the prepared database and prints an application password for
// the admin user. Usage: php wordpress_install.php HOST:PORT
$_SERVER['HTTP_HOST'] = $argv[1];
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require_once '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
global $wpdb;
foreach ($wpdb->get_col("SHOW TABLES") as $table) {
    $wpdb->query("DROP TABLE IF EXISTS `$table`");
}
wp_install('mediacheck test school', 'admin', 'admin@example.invalid', true, '', 'admin-password-' . wp_generate_password(12, false));
update_option('siteurl', 'http://' . $argv[1]);
update_option('home', 'http://' . $argv[1]);
$user = get_user_by('login', 'admin');
[$password] = WP_Application_Passwords::create_new_application_password($user->ID, ['name' => 'mediacheck']);
echo $password;
