/*
 * Bohai's mosquitto plugin: counts the connections the broker refused, per user name, so that Bohai can show a
 * device's owner that the device is presenting MQTT credentials that do not check.
 *
 * It decides nothing. Authentication stays with mosquitto's password file; the plugin only watches clients
 * leave. mosquitto 2.0 gives a client its client id only once its CONNECT has been authorised, so a client that
 * leaves with a user name and no client id was refused (the suite checks this against the real broker).
 *
 * Every `flush_seconds` (and when the broker stops) the counts gathered since the last write go into a new
 * file `<refusals_dir>/refused-<epoch>-<pid>-<serial>.tsv`, written beside it and renamed into place, so that a
 * reader never sees half a file. One line per user name: name, count, time of the last refusal (epoch seconds)
 * and the client's address, separated by tabs. Names longer than a device code, and names beyond the first
 * MAX_NAMES of one interval (someone trying many names), are counted together on one line named "*".
 * Bohai's job `iot.collect_broker_refusals` reads the files, adds the counts to the devices' rejections and
 * deletes them. When a file cannot be written, the counts are kept and tried again at the next interval.
 *
 * Options (mosquitto.conf):  plugin_opt_refusals_dir <directory>   plugin_opt_flush_seconds <seconds, default 5>
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

#define MAX_NAMES 1024
#define NAME_BYTES 65    /* a device code has at most 64 characters */
#define ADDRESS_BYTES 64
#define OTHER_NAMES "*"

struct refusal {
	char name[NAME_BYTES];
	char address[ADDRESS_BYTES];
	unsigned long count;
	time_t last;
};

static mosquitto_plugin_id_t *plugin_id;
static char *refusals_dir;
static long flush_seconds = 5;
static struct refusal refusals[MAX_NAMES];
static int names_counted;
static unsigned long other_names_count;
static time_t other_names_last;
static time_t last_write;
static unsigned long file_serial;


/* Control characters would break the file's lines; user names are the client's to choose. */
static void copy_printable(char *target, size_t size, const char *source)
{
	size_t i;
	for(i = 0; source[i] != '\0' && i + 1 < size; i++){
		unsigned char c = (unsigned char)source[i];
		target[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	target[i] = '\0';
}


static void count_refusal(const char *username, const char *address, time_t now)
{
	char name[NAME_BYTES];
	int i;

	if(strlen(username) >= NAME_BYTES){
		other_names_count++;
		other_names_last = now;
		return;
	}
	copy_printable(name, sizeof(name), username);
	for(i = 0; i < names_counted; i++){
		if(strcmp(refusals[i].name, name) == 0){
			break;
		}
	}
	if(i == MAX_NAMES){
		other_names_count++;
		other_names_last = now;
		return;
	}
	if(i == names_counted){
		memcpy(refusals[i].name, name, sizeof(name));
		refusals[i].count = 0;
		names_counted++;
	}
	refusals[i].count++;
	refusals[i].last = now;
	copy_printable(refusals[i].address, sizeof(refusals[i].address), address ? address : "");
}


static int write_lines(FILE *out)
{
	int i;
	for(i = 0; i < names_counted; i++){
		if(fprintf(out, "%s\t%lu\t%lld\t%s\n", refusals[i].name, refusals[i].count,
					(long long)refusals[i].last, refusals[i].address) < 0){
			return -1;
		}
	}
	if(other_names_count > 0 && fprintf(out, "%s\t%lu\t%lld\t\n", OTHER_NAMES, other_names_count,
				(long long)other_names_last) < 0){
		return -1;
	}
	if(fflush(out) != 0 || fsync(fileno(out)) != 0){
		return -1;
	}
	return 0;
}


static void write_refusals(time_t now)
{
	char temporary[PATH_MAX], final[PATH_MAX];
	FILE *out;
	int failed;

	if(names_counted == 0 && other_names_count == 0){
		return;
	}
	snprintf(temporary, sizeof(temporary), "%s/.refused-%d.tmp", refusals_dir, (int)getpid());
	snprintf(final, sizeof(final), "%s/refused-%lld-%d-%lu.tsv", refusals_dir, (long long)now, (int)getpid(),
			file_serial);
	out = fopen(temporary, "w");
	if(out == NULL){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "bohai refusals: cannot write %s: %s", temporary, strerror(errno));
		return;
	}
	failed = write_lines(out);
	if(fclose(out) != 0 || failed != 0 || rename(temporary, final) != 0){
		mosquitto_log_printf(MOSQ_LOG_WARNING, "bohai refusals: cannot write %s: %s", final, strerror(errno));
		unlink(temporary);
		return;
	}
	file_serial++;
	names_counted = 0;
	other_names_count = 0;
}


static int on_disconnect(int event, void *event_data, void *userdata)
{
	struct mosquitto_evt_disconnect *disconnect = event_data;
	const char *username = mosquitto_client_username(disconnect->client);
	(void)event;
	(void)userdata;

	/* A client without a user name (or with an empty one) names no device: mosquitto logs it, Bohai cannot. */
	if(username != NULL && username[0] != '\0' && mosquitto_client_id(disconnect->client) == NULL){
		count_refusal(username, mosquitto_client_address(disconnect->client), time(NULL));
	}
	return MOSQ_ERR_SUCCESS;
}


static int on_tick(int event, void *event_data, void *userdata)
{
	time_t now = time(NULL);
	(void)event;
	(void)event_data;
	(void)userdata;

	if(now - last_write >= flush_seconds){
		write_refusals(now);
		last_write = now;
	}
	return MOSQ_ERR_SUCCESS;
}


int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
	(void)supported_version_count;
	(void)supported_versions;
	return 5;
}


int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata, struct mosquitto_opt *options,
		int option_count)
{
	int i;
	(void)userdata;

	for(i = 0; i < option_count; i++){
		if(strcmp(options[i].key, "refusals_dir") == 0){
			free(refusals_dir);
			refusals_dir = strdup(options[i].value);
		}else if(strcmp(options[i].key, "flush_seconds") == 0){
			flush_seconds = strtol(options[i].value, NULL, 10);
		}
	}
	if(refusals_dir == NULL || refusals_dir[0] == '\0' || flush_seconds < 1){
		mosquitto_log_printf(MOSQ_LOG_ERR, "bohai refusals: plugin_opt_refusals_dir and a flush_seconds of at "
				"least 1 are required");
		return MOSQ_ERR_INVAL;
	}
	plugin_id = identifier;
	last_write = time(NULL);
	if(mosquitto_callback_register(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL) != MOSQ_ERR_SUCCESS
			|| mosquitto_callback_register(plugin_id, MOSQ_EVT_TICK, on_tick, NULL, NULL) != MOSQ_ERR_SUCCESS){
		return MOSQ_ERR_UNKNOWN;
	}
	return MOSQ_ERR_SUCCESS;
}


int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
	(void)userdata;
	(void)options;
	(void)option_count;

	write_refusals(time(NULL));
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
	mosquitto_callback_unregister(plugin_id, MOSQ_EVT_TICK, on_tick, NULL);
	free(refusals_dir);
	refusals_dir = NULL;
	return MOSQ_ERR_SUCCESS;
}
