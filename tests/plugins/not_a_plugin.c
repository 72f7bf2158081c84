/* A shared object named like a plugin that does not export fg_plugin_entry. */
int not_a_plugin_answer(void);
int not_a_plugin_answer(void) { return 42; }
