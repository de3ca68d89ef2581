/*
 * The MQTT ingestion benchmark's device traffic, in C (libmosquitto), so that the load generator takes little of
 * the 2-core machine that the broker, the worker and the database share: the Python publisher (paho) used about
 * a core of the two to offer 8,000-9,000 messages/s.
 *
 * Same traffic as bench_mqtt_ingestion.publish: every device sends its message number `sequence` (device time
 * start_ts + sequence seconds), 3 metrics in one JSON message, QoS 1, to bohai/devices/<code>/telemetry, spread
 * over gateway connections, paced to the offered rate. At the end it waits until the broker has acknowledged
 * every message, then prints one JSON line: {"messages": N, "seconds": S, "rounds": [end of each round, epoch s]}.
 *
 *   mqtt_publisher PORT FIRST_GATEWAY GATEWAYS RATE SECONDS START_TS < device codes, one per line
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

#define MAX_DEVICES 100000
#define MAX_ROUNDS 100000
#define CODE_BYTES 65

static atomic_long acknowledged;
static char codes[MAX_DEVICES][CODE_BYTES];
static double round_ends[MAX_ROUNDS];


static double now_seconds(void)
{
	struct timespec moment;
	clock_gettime(CLOCK_REALTIME, &moment);
	return (double)moment.tv_sec + (double)moment.tv_nsec / 1e9;
}


/* Waits of under a millisecond are skipped: a sleep that short costs more than it paces (timer slack), and the
 * messages it would have spaced go out together a fraction of a millisecond early. */
static void sleep_until(double target)
{
	double delay = target - now_seconds();
	if(delay > 0.001){
		struct timespec pause = {(time_t)delay, (long)((delay - (double)(time_t)delay) * 1e9)};
		nanosleep(&pause, NULL);
	}
}


static void on_publish(struct mosquitto *client, void *userdata, int message_id)
{
	(void)client;
	(void)userdata;
	(void)message_id;
	atomic_fetch_add(&acknowledged, 1);
}


static int read_codes(void)
{
	int count = 0;
	char line[256];
	while(count < MAX_DEVICES && fgets(line, sizeof(line), stdin) != NULL){
		line[strcspn(line, "\r\n")] = '\0';
		if(line[0] != '\0' && strlen(line) < CODE_BYTES){
			strcpy(codes[count++], line);
		}
	}
	return count;
}


static struct mosquitto *connect_gateway(int port, int gateway)
{
	char name[64];
	struct mosquitto *client;

	snprintf(name, sizeof(name), "gateway-%d", gateway);
	client = mosquitto_new(name, true, NULL);
	if(client == NULL){
		return NULL;
	}
	mosquitto_int_option(client, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5);
	mosquitto_username_pw_set(client, name, "gateway");
	mosquitto_max_inflight_messages_set(client, 1000);
	mosquitto_publish_callback_set(client, on_publish);
	if(mosquitto_connect(client, "127.0.0.1", port, 60) != MOSQ_ERR_SUCCESS
			|| mosquitto_loop_start(client) != MOSQ_ERR_SUCCESS){
		fprintf(stderr, "gateway %s could not connect\n", name);
		mosquitto_destroy(client);
		return NULL;
	}
	return client;
}


int main(int argc, char *argv[])
{
	int port, first_gateway, gateways, devices, rounds = 0, i;
	double rate, seconds, start_ts, began, deadline;
	long sent = 0;
	struct mosquitto **clients;

	if(argc != 7){
		fprintf(stderr, "usage: %s PORT FIRST_GATEWAY GATEWAYS RATE SECONDS START_TS < codes\n", argv[0]);
		return 2;
	}
	port = atoi(argv[1]);
	first_gateway = atoi(argv[2]);
	gateways = atoi(argv[3]);
	rate = atof(argv[4]);
	seconds = atof(argv[5]);
	start_ts = atof(argv[6]);
	devices = read_codes();
	if(devices == 0 || gateways < 1 || rate <= 0){
		fprintf(stderr, "nothing to send\n");
		return 2;
	}
	mosquitto_lib_init();
	clients = calloc((size_t)gateways, sizeof(*clients));
	for(i = 0; i < gateways; i++){
		clients[i] = connect_gateway(port, first_gateway + i);
		if(clients[i] == NULL){
			return 1;
		}
	}
	sleep_until(now_seconds() + 0.5);
	began = now_seconds();
	while(now_seconds() - began < seconds && rounds < MAX_ROUNDS){
		char stamp[40], topic[128], payload[256];
		time_t device_time = (time_t)start_ts + rounds;
		struct tm utc;
		gmtime_r(&device_time, &utc);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S+00:00", &utc);
		for(i = 0; i < devices; i++){
			int length;
			sleep_until(began + ((double)rounds * devices + i) / rate);
			snprintf(topic, sizeof(topic), "bohai/devices/%.64s/telemetry", codes[i]);
			length = snprintf(payload, sizeof(payload),
					"{\"ts\": \"%s\", \"values\": {\"pressure\": %.2f, \"flow\": %.1f, \"turbidity\": 0.4}}",
					stamp, 0.3 + (i % 7) / 100.0, 120.0 + rounds % 50);
			mosquitto_publish(clients[i % gateways], NULL, topic, length, payload, 1, false);
			sent++;
		}
		round_ends[rounds++] = now_seconds();
	}
	deadline = now_seconds() + 60;
	while(atomic_load(&acknowledged) < sent && now_seconds() < deadline){
		sleep_until(now_seconds() + 0.05);
	}
	printf("{\"messages\": %ld, \"acknowledged\": %ld, \"seconds\": %.3f, \"rounds\": [", sent,
			atomic_load(&acknowledged), now_seconds() - began);
	for(i = 0; i < rounds; i++){
		printf(i ? ", %.3f" : "%.3f", round_ends[i]);
	}
	printf("]}\n");
	for(i = 0; i < gateways; i++){
		mosquitto_disconnect(clients[i]);
		mosquitto_loop_stop(clients[i], false);
		mosquitto_destroy(clients[i]);
	}
	mosquitto_lib_cleanup();
	return 0;
}
