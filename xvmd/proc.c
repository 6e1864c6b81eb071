/*
 * The procedure table: remote_protocol.x numbers to handlers, sorted by
 * number (checked at first use) and searched by bisection. Numbers not
 * here answer NO_SUPPORT, which clients fall back on (LIBVIRT-RPC.md).
 */
#include <stdlib.h>
#include "xvm/log.h"
#include "proc.h"

PROC_DECL(proc_connect_open);
PROC_DECL(proc_connect_close);
PROC_DECL(proc_get_type);
PROC_DECL(proc_get_version);
PROC_DECL(proc_get_max_vcpus);
PROC_DECL(proc_node_get_info);
PROC_DECL(proc_get_capabilities);
PROC_DECL(proc_define_xml);
PROC_DECL(proc_create);
PROC_DECL(proc_create_xml);
PROC_DECL(proc_destroy);
PROC_DECL(proc_get_xml_desc);
PROC_DECL(proc_get_autostart);
PROC_DECL(proc_get_info);
PROC_DECL(proc_get_max_memory);
PROC_DECL(proc_dom_get_max_vcpus);
PROC_DECL(proc_get_os_type);
PROC_DECL(proc_get_vcpus);
PROC_DECL(proc_lookup_by_id);
PROC_DECL(proc_lookup_by_name);
PROC_DECL(proc_lookup_by_uuid);
PROC_DECL(proc_num_of_defined_domains);
PROC_DECL(proc_list_defined_domains);
PROC_DECL(proc_pin_vcpu);
PROC_DECL(proc_reboot);
PROC_DECL(proc_resume);
PROC_DECL(proc_set_autostart);
PROC_DECL(proc_set_vcpus);
PROC_DECL(proc_shutdown);
PROC_DECL(proc_suspend);
PROC_DECL(proc_undefine);
PROC_DECL(proc_list_domains);
PROC_DECL(proc_num_of_domains);
PROC_DECL(proc_get_scheduler_type);
PROC_DECL(proc_get_scheduler_parameters);
PROC_DECL(proc_set_scheduler_parameters);
PROC_DECL(proc_get_hostname);
PROC_DECL(proc_supports_feature);
PROC_DECL(proc_auth_list);
PROC_DECL(proc_get_uri);
PROC_DECL(proc_node_get_security_model);
PROC_DECL(proc_is_secure);
PROC_DECL(proc_is_active);
PROC_DECL(proc_is_persistent);
PROC_DECL(proc_is_updated);
PROC_DECL(proc_get_lib_version);
PROC_DECL(proc_dom_zero_flags);
PROC_DECL(proc_create_with_flags);
PROC_DECL(proc_set_vcpus_flags);
PROC_DECL(proc_get_vcpus_flags);
PROC_DECL(proc_open_console);
PROC_DECL(proc_get_state);
PROC_DECL(proc_set_sched_params_flags);
PROC_DECL(proc_get_sched_params_flags);
PROC_DECL(proc_pin_vcpu_flags);
PROC_DECL(proc_get_vcpu_pin_info);
PROC_DECL(proc_undefine_flags);
PROC_DECL(proc_destroy_flags);
PROC_DECL(proc_shutdown_flags);
PROC_DECL(proc_list_all_domains);
PROC_DECL(proc_node_get_cpu_map);
PROC_DECL(proc_get_domain_capabilities);
PROC_DECL(proc_define_xml_flags);
PROC_DECL(proc_set_max_memory);
PROC_DECL(proc_event_register_any);
PROC_DECL(proc_event_deregister_any);
PROC_DECL(proc_set_memory);
PROC_DECL(proc_set_memory_flags);

#define U PROC_UNOPENED
#define W PROC_WRITE

static const struct proc proc_table[] = {
	{ 1, "CONNECT_OPEN", proc_connect_open, U },
	{ 2, "CONNECT_CLOSE", proc_connect_close, U },
	{ 3, "CONNECT_GET_TYPE", proc_get_type, 0 },
	{ 4, "CONNECT_GET_VERSION", proc_get_version, 0 },
	{ 5, "CONNECT_GET_MAX_VCPUS", proc_get_max_vcpus, 0 },
	{ 6, "NODE_GET_INFO", proc_node_get_info, 0 },
	{ 7, "CONNECT_GET_CAPABILITIES", proc_get_capabilities, 0 },
	{ 9, "DOMAIN_CREATE", proc_create, W },
	{ 10, "DOMAIN_CREATE_XML", proc_create_xml, W },
	{ 11, "DOMAIN_DEFINE_XML", proc_define_xml, W },
	{ 12, "DOMAIN_DESTROY", proc_destroy, W },
	{ 14, "DOMAIN_GET_XML_DESC", proc_get_xml_desc, 0 },
	{ 15, "DOMAIN_GET_AUTOSTART", proc_get_autostart, 0 },
	{ 16, "DOMAIN_GET_INFO", proc_get_info, 0 },
	{ 17, "DOMAIN_GET_MAX_MEMORY", proc_get_max_memory, 0 },
	{ 18, "DOMAIN_GET_MAX_VCPUS", proc_dom_get_max_vcpus, 0 },
	{ 19, "DOMAIN_GET_OS_TYPE", proc_get_os_type, 0 },
	{ 20, "DOMAIN_GET_VCPUS", proc_get_vcpus, 0 },
	{ 21, "CONNECT_LIST_DEFINED_DOMAINS", proc_list_defined_domains, 0 },
	{ 22, "DOMAIN_LOOKUP_BY_ID", proc_lookup_by_id, 0 },
	{ 23, "DOMAIN_LOOKUP_BY_NAME", proc_lookup_by_name, 0 },
	{ 24, "DOMAIN_LOOKUP_BY_UUID", proc_lookup_by_uuid, 0 },
	{ 25, "CONNECT_NUM_OF_DEFINED_DOMAINS", proc_num_of_defined_domains, 0 },
	{ 26, "DOMAIN_PIN_VCPU", proc_pin_vcpu, W },
	{ 27, "DOMAIN_REBOOT", proc_reboot, W },
	{ 28, "DOMAIN_RESUME", proc_resume, W },
	{ 29, "DOMAIN_SET_AUTOSTART", proc_set_autostart, W },
	{ 30, "DOMAIN_SET_MAX_MEMORY", proc_set_max_memory, W },
	{ 31, "DOMAIN_SET_MEMORY", proc_set_memory, W },
	{ 32, "DOMAIN_SET_VCPUS", proc_set_vcpus, W },
	{ 33, "DOMAIN_SHUTDOWN", proc_shutdown, W },
	{ 34, "DOMAIN_SUSPEND", proc_suspend, W },
	{ 35, "DOMAIN_UNDEFINE", proc_undefine, W },
	{ 37, "CONNECT_LIST_DOMAINS", proc_list_domains, 0 },
	{ 51, "CONNECT_NUM_OF_DOMAINS", proc_num_of_domains, 0 },
	{ 56, "DOMAIN_GET_SCHEDULER_TYPE", proc_get_scheduler_type, 0 },
	{ 57, "DOMAIN_GET_SCHEDULER_PARAMETERS", proc_get_scheduler_parameters, 0 },
	{ 58, "DOMAIN_SET_SCHEDULER_PARAMETERS", proc_set_scheduler_parameters, W },
	{ 59, "CONNECT_GET_HOSTNAME", proc_get_hostname, 0 },
	{ 60, "CONNECT_SUPPORTS_FEATURE", proc_supports_feature, U },
	{ 66, "AUTH_LIST", proc_auth_list, U },
	{ 110, "CONNECT_GET_URI", proc_get_uri, 0 },
	{ 122, "NODE_GET_SECURITY_MODEL", proc_node_get_security_model, 0 },
	{ 149, "CONNECT_IS_SECURE", proc_is_secure, 0 },
	{ 150, "DOMAIN_IS_ACTIVE", proc_is_active, 0 },
	{ 151, "DOMAIN_IS_PERSISTENT", proc_is_persistent, 0 },
	{ 152, "DOMAIN_IS_UPDATED", proc_is_updated, 0 },
	{ 157, "CONNECT_GET_LIB_VERSION", proc_get_lib_version, 0 },
	{ 167, "CONNECT_DOMAIN_EVENT_REGISTER_ANY", proc_event_register_any, 0 },
	{ 168, "CONNECT_DOMAIN_EVENT_DEREGISTER_ANY", proc_event_deregister_any, 0 },
	{ 183, "DOMAIN_HAS_MANAGED_SAVE_IMAGE", proc_dom_zero_flags, 0 },
	{ 187, "DOMAIN_SNAPSHOT_NUM", proc_dom_zero_flags, 0 },
	{ 196, "DOMAIN_CREATE_WITH_FLAGS", proc_create_with_flags, W },
	{ 199, "DOMAIN_SET_VCPUS_FLAGS", proc_set_vcpus_flags, W },
	{ 200, "DOMAIN_GET_VCPUS_FLAGS", proc_get_vcpus_flags, 0 },
	{ 201, "DOMAIN_OPEN_CONSOLE", proc_open_console, W },
	{ 204, "DOMAIN_SET_MEMORY_FLAGS", proc_set_memory_flags, W },
	{ 212, "DOMAIN_GET_STATE", proc_get_state, 0 },
	{ 219, "DOMAIN_SET_SCHEDULER_PARAMETERS_FLAGS", proc_set_sched_params_flags, W },
	{ 223, "DOMAIN_GET_SCHEDULER_PARAMETERS_FLAGS", proc_get_sched_params_flags, 0 },
	{ 225, "DOMAIN_PIN_VCPU_FLAGS", proc_pin_vcpu_flags, W },
	{ 230, "DOMAIN_GET_VCPU_PIN_INFO", proc_get_vcpu_pin_info, 0 },
	{ 231, "DOMAIN_UNDEFINE_FLAGS", proc_undefine_flags, W },
	{ 234, "DOMAIN_DESTROY_FLAGS", proc_destroy_flags, W },
	{ 258, "DOMAIN_SHUTDOWN_FLAGS", proc_shutdown_flags, W },
	{ 273, "CONNECT_LIST_ALL_DOMAINS", proc_list_all_domains, 0 },
	{ 293, "NODE_GET_CPU_MAP", proc_node_get_cpu_map, 0 },
	{ 342, "CONNECT_GET_DOMAIN_CAPABILITIES", proc_get_domain_capabilities, 0 },
	{ 350, "DOMAIN_DEFINE_XML_FLAGS", proc_define_xml_flags, W },
};

const struct proc *proc_lookup(int num)
{
	size_t lo = 0, hi = ARRAY_SIZE(proc_table);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (proc_table[mid].num == num)
			return &proc_table[mid];
		if (proc_table[mid].num < num)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* For the unit test: the table is sorted (bisection depends on it). */
bool proc_table_sorted(void)
{
	size_t i;

	for (i = 1; i < ARRAY_SIZE(proc_table); i++)
		if (proc_table[i - 1].num >= proc_table[i].num)
			return false;
	return true;
}
