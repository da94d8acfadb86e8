--
-- PostgreSQL database dump
--


-- Dumped from database version 15.20 (Debian 15.20-0+deb12u1)
-- Dumped by pg_dump version 15.20 (Debian 15.20-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: hub_api_key; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_api_key (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    key_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    role character varying(20) DEFAULT ''::character varying NOT NULL,
    scopes json DEFAULT '[]'::json NOT NULL,
    label character varying(200) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: hub_audit_entry; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_audit_entry (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    actor character varying(400) DEFAULT ''::character varying NOT NULL,
    action character varying(100) DEFAULT ''::character varying NOT NULL,
    target character varying(400) DEFAULT ''::character varying NOT NULL,
    detail json DEFAULT '{}'::json NOT NULL,
    ip character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_buyer_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_buyer_session (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    email character varying(320) DEFAULT ''::character varying NOT NULL,
    session_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_buyer_sign_in; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_buyer_sign_in (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    email character varying(320) DEFAULT ''::character varying NOT NULL,
    link_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    ip character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    used_at timestamp with time zone,
    state character varying(20) DEFAULT 'requested'::character varying NOT NULL
);


--
-- Name: hub_console_invite; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_console_invite (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    user_id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    link_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    invited_by character varying(400) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    used_at timestamp with time zone
);


--
-- Name: hub_console_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_console_session (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    user_id character varying(40) DEFAULT ''::character varying NOT NULL,
    session_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    csrf character varying(64) DEFAULT ''::character varying NOT NULL,
    ip character varying(64) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_console_user; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_console_user (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    email character varying(320) DEFAULT ''::character varying NOT NULL,
    password_hash character varying(200) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_download_session; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_download_session (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    token character varying(40) DEFAULT NULL::character varying,
    session_key character varying(64) DEFAULT ''::character varying NOT NULL,
    started_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    last_activity_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    bytes_sent bigint DEFAULT 0 NOT NULL,
    files integer DEFAULT 0 NOT NULL,
    ip character varying(64) DEFAULT ''::character varying NOT NULL,
    user_agent character varying(500) DEFAULT ''::character varying NOT NULL,
    status character varying(20) DEFAULT 'started'::character varying NOT NULL
);


--
-- Name: hub_download_token; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_download_token (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    version character varying(40) DEFAULT NULL::character varying,
    token_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    customer_email character varying(320) DEFAULT ''::character varying NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    max_downloads integer,
    used_count integer DEFAULT 0 NOT NULL,
    metadata json DEFAULT '{}'::json NOT NULL,
    purchase character varying(40) DEFAULT NULL::character varying,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    revoked_at timestamp with time zone
);


--
-- Name: hub_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_event (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    kind character varying(20) DEFAULT ''::character varying NOT NULL,
    type character varying(60) DEFAULT ''::character varying NOT NULL,
    payload json DEFAULT '{}'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_event_delivery; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_event_delivery (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    event character varying(40) DEFAULT ''::character varying NOT NULL,
    target character varying(120) DEFAULT ''::character varying NOT NULL,
    endpoint character varying(40) DEFAULT NULL::character varying,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    claimed_until timestamp with time zone,
    last_error text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    delivered_at timestamp with time zone
);


--
-- Name: hub_file_transfer; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_file_transfer (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    session character varying(40) DEFAULT NULL::character varying,
    file character varying(40) DEFAULT ''::character varying NOT NULL,
    range_start bigint DEFAULT 0 NOT NULL,
    range_end bigint DEFAULT 0 NOT NULL,
    bytes_sent bigint DEFAULT 0 NOT NULL,
    status character varying(20) DEFAULT 'started'::character varying NOT NULL,
    started_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    finished_at timestamp with time zone
);


--
-- Name: hub_inbox_event; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_inbox_event (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    provider character varying(40) DEFAULT ''::character varying NOT NULL,
    event_id character varying(255) DEFAULT ''::character varying NOT NULL,
    event_type character varying(100) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    payment_key character varying(255) DEFAULT ''::character varying NOT NULL,
    sealed_payload text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    claimed_until timestamp with time zone,
    last_error text DEFAULT ''::text NOT NULL,
    outcome text DEFAULT ''::text NOT NULL,
    received_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    processed_at timestamp with time zone
);


--
-- Name: hub_instance_fact; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_instance_fact (
    name character varying(64) DEFAULT ''::character varying NOT NULL,
    value text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_label; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_label (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    name character varying(300) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_language; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_language (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    code character varying(20) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_media_file; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_media_file (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    directory character varying(500) DEFAULT ''::character varying NOT NULL,
    filename character varying(255) DEFAULT ''::character varying NOT NULL,
    mime_type character varying(200) DEFAULT ''::character varying NOT NULL,
    size bigint DEFAULT 0 NOT NULL,
    md5 character varying(32) DEFAULT ''::character varying NOT NULL,
    sha256 character varying(64) DEFAULT ''::character varying NOT NULL,
    storage_key character varying(300) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_membership; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_membership (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    user_id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    role character varying(20) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_offer; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_offer (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    price bigint DEFAULT 0 NOT NULL,
    currency character varying(3) DEFAULT ''::character varying NOT NULL,
    territories json DEFAULT '[]'::json NOT NULL,
    start_date character varying(10) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_organization; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_organization (
    id character varying(64) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    contact_email character varying(320) DEFAULT ''::character varying NOT NULL
);


--
-- Name: hub_outbox_message; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_outbox_message (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    kind character varying(40) DEFAULT ''::character varying NOT NULL,
    recipient character varying(320) DEFAULT ''::character varying NOT NULL,
    dedupe_key character varying(200) DEFAULT NULL::character varying,
    sealed_body text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    attempts integer DEFAULT 0 NOT NULL,
    next_attempt_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    claimed_until timestamp with time zone,
    claimed_by character varying(200) DEFAULT NULL::character varying,
    last_error text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    sent_at timestamp with time zone
);


--
-- Name: hub_payment_reversal; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_payment_reversal (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    provider character varying(40) DEFAULT ''::character varying NOT NULL,
    payment_ref character varying(255) DEFAULT ''::character varying NOT NULL,
    kind character varying(20) DEFAULT ''::character varying NOT NULL,
    reference character varying(255) DEFAULT ''::character varying NOT NULL,
    occurred_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_product; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_product (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    slug character varying(100) DEFAULT ''::character varying NOT NULL,
    name character varying(300) DEFAULT ''::character varying NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT 'draft'::character varying NOT NULL,
    metadata json DEFAULT '{}'::json NOT NULL,
    active_version character varying(40) DEFAULT NULL::character varying,
    upc_code character varying(20) DEFAULT NULL::character varying,
    label character varying(40) DEFAULT NULL::character varying,
    language character varying(40) DEFAULT NULL::character varying,
    product_type character varying(40) DEFAULT NULL::character varying,
    release json DEFAULT '{}'::json NOT NULL,
    cover_key character varying(300) DEFAULT NULL::character varying,
    cover_md5 character varying(32) DEFAULT NULL::character varying,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_product_type; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_product_type (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_purchase; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_purchase (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    provider character varying(40) DEFAULT ''::character varying NOT NULL,
    provider_ref character varying(255) DEFAULT ''::character varying NOT NULL,
    customer_email character varying(320) DEFAULT ''::character varying NOT NULL,
    customer_name character varying(300) DEFAULT ''::character varying NOT NULL,
    items json DEFAULT '[]'::json NOT NULL,
    amount bigint,
    currency character varying(10) DEFAULT ''::character varying NOT NULL,
    status character varying(20) DEFAULT 'paid'::character varying NOT NULL,
    refunded_at timestamp with time zone,
    delivered_at timestamp with time zone,
    problem text DEFAULT ''::text NOT NULL,
    metadata json DEFAULT '{}'::json NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_purchase_payment; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_purchase_payment (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    purchase character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    provider character varying(40) DEFAULT ''::character varying NOT NULL,
    payment_ref character varying(255) DEFAULT ''::character varying NOT NULL
);


--
-- Name: hub_rate_limit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_rate_limit (
    bucket character varying(64) DEFAULT ''::character varying NOT NULL,
    hits integer DEFAULT 0 NOT NULL,
    window_ends bigint DEFAULT 0 NOT NULL
);


--
-- Name: hub_right; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_right (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    territory character varying(20) DEFAULT ''::character varying NOT NULL,
    holder character varying(300) DEFAULT ''::character varying NOT NULL,
    type character varying(40) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_sign_in_throttle; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_sign_in_throttle (
    key character varying(400) DEFAULT ''::character varying NOT NULL,
    window_start bigint DEFAULT 0 NOT NULL,
    attempts integer DEFAULT 0 NOT NULL
);


--
-- Name: hub_token_link; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_token_link (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    token character varying(40) DEFAULT NULL::character varying,
    link_hash character varying(64) DEFAULT ''::character varying NOT NULL,
    expires_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_track; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_track (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    title character varying(300) DEFAULT ''::character varying NOT NULL,
    isrc character varying(12) DEFAULT NULL::character varying,
    "position" integer DEFAULT 0 NOT NULL,
    duration integer,
    artists json DEFAULT '[]'::json NOT NULL,
    file character varying(40) DEFAULT NULL::character varying,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: hub_upload_part; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_upload_part (
    id integer NOT NULL,
    file character varying(40) DEFAULT NULL::character varying,
    upload_id character varying(40) DEFAULT ''::character varying NOT NULL,
    part_number integer DEFAULT 0 NOT NULL,
    size bigint DEFAULT 0 NOT NULL,
    etag character varying(200) DEFAULT ''::character varying NOT NULL
);


--
-- Name: hub_upload_part_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.hub_upload_part_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: hub_upload_part_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.hub_upload_part_id_seq OWNED BY public.hub_upload_part.id;


--
-- Name: hub_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_version (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    product character varying(40) DEFAULT NULL::character varying,
    version character varying(100) DEFAULT ''::character varying NOT NULL,
    changelog text DEFAULT ''::text NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    size bigint DEFAULT 0 NOT NULL,
    file_count integer DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    ready_at timestamp with time zone
);


--
-- Name: hub_version_file; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_version_file (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    version character varying(40) DEFAULT NULL::character varying,
    path character varying(1024) DEFAULT ''::character varying NOT NULL,
    size bigint DEFAULT 0 NOT NULL,
    sha256 character varying(64) DEFAULT ''::character varying NOT NULL,
    storage_key character varying(300) DEFAULT ''::character varying NOT NULL,
    status character varying(20) DEFAULT 'pending'::character varying NOT NULL,
    upload_id character varying(40) DEFAULT NULL::character varying,
    storage_upload_id character varying(1024) DEFAULT NULL::character varying
);


--
-- Name: hub_webhook_attempt; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_webhook_attempt (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    endpoint character varying(40) DEFAULT ''::character varying NOT NULL,
    delivery character varying(40) DEFAULT ''::character varying NOT NULL,
    event character varying(40) DEFAULT ''::character varying NOT NULL,
    attempted_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    status_code integer,
    latency_ms integer DEFAULT 0 NOT NULL,
    response_excerpt text DEFAULT ''::text NOT NULL,
    error text DEFAULT ''::text NOT NULL
);


--
-- Name: hub_webhook_endpoint; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.hub_webhook_endpoint (
    id character varying(40) DEFAULT ''::character varying NOT NULL,
    org character varying(64) DEFAULT ''::character varying NOT NULL,
    url character varying(2000) DEFAULT ''::character varying NOT NULL,
    events json DEFAULT '[]'::json NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    sealed_secret text DEFAULT ''::text NOT NULL,
    previous_sealed_secret text DEFAULT ''::text NOT NULL,
    previous_secret_until timestamp with time zone,
    status character varying(20) DEFAULT 'enabled'::character varying NOT NULL,
    disabled_reason text DEFAULT ''::text NOT NULL,
    failing_since timestamp with time zone,
    created_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: migration; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.migration (
    id integer NOT NULL,
    name character varying(200) DEFAULT ''::character varying NOT NULL,
    app_name character varying(200) DEFAULT ''::character varying NOT NULL,
    ran_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: migration_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.migration_id_seq
    AS integer
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: migration_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.migration_id_seq OWNED BY public.migration.id;


--
-- Name: hub_upload_part id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_upload_part ALTER COLUMN id SET DEFAULT nextval('public.hub_upload_part_id_seq'::regclass);


--
-- Name: migration id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.migration ALTER COLUMN id SET DEFAULT nextval('public.migration_id_seq'::regclass);


--
-- Data for Name: hub_api_key; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_audit_entry; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_buyer_session; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_buyer_sign_in; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_console_invite; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_console_session; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_console_user; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_download_session; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_download_token; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_event; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_event_delivery; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_file_transfer; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_inbox_event; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_instance_fact; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_label; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_language; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_media_file; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_membership; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_offer; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_organization; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_outbox_message; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_payment_reversal; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_product; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_product_type; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_purchase; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_purchase_payment; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_rate_limit; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_right; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_sign_in_throttle; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_token_link; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_track; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_upload_part; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_version; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_version_file; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_webhook_attempt; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: hub_webhook_endpoint; Type: TABLE DATA; Schema: public; Owner: -
--



--
-- Data for Name: migration; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.migration VALUES (1, '2026-12-01T00:00:00:000000', 'hub', '2026-11-30 22:54:19.560545');


--
-- Name: hub_upload_part_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.hub_upload_part_id_seq', 1, false);


--
-- Name: migration_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.migration_id_seq', 1, true);


--
-- Name: hub_api_key hub_api_key_key_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_api_key
    ADD CONSTRAINT hub_api_key_key_hash_key UNIQUE (key_hash);


--
-- Name: hub_api_key hub_api_key_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_api_key
    ADD CONSTRAINT hub_api_key_pkey PRIMARY KEY (id);


--
-- Name: hub_audit_entry hub_audit_entry_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_audit_entry
    ADD CONSTRAINT hub_audit_entry_pkey PRIMARY KEY (id);


--
-- Name: hub_buyer_session hub_buyer_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_buyer_session
    ADD CONSTRAINT hub_buyer_session_pkey PRIMARY KEY (id);


--
-- Name: hub_buyer_session hub_buyer_session_session_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_buyer_session
    ADD CONSTRAINT hub_buyer_session_session_hash_key UNIQUE (session_hash);


--
-- Name: hub_buyer_sign_in hub_buyer_sign_in_link_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_buyer_sign_in
    ADD CONSTRAINT hub_buyer_sign_in_link_hash_key UNIQUE (link_hash);


--
-- Name: hub_buyer_sign_in hub_buyer_sign_in_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_buyer_sign_in
    ADD CONSTRAINT hub_buyer_sign_in_pkey PRIMARY KEY (id);


--
-- Name: hub_console_invite hub_console_invite_link_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_invite
    ADD CONSTRAINT hub_console_invite_link_hash_key UNIQUE (link_hash);


--
-- Name: hub_console_invite hub_console_invite_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_invite
    ADD CONSTRAINT hub_console_invite_pkey PRIMARY KEY (id);


--
-- Name: hub_console_session hub_console_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_session
    ADD CONSTRAINT hub_console_session_pkey PRIMARY KEY (id);


--
-- Name: hub_console_session hub_console_session_session_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_session
    ADD CONSTRAINT hub_console_session_session_hash_key UNIQUE (session_hash);


--
-- Name: hub_console_user hub_console_user_email_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_user
    ADD CONSTRAINT hub_console_user_email_key UNIQUE (email);


--
-- Name: hub_console_user hub_console_user_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_console_user
    ADD CONSTRAINT hub_console_user_pkey PRIMARY KEY (id);


--
-- Name: hub_download_session hub_download_session_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_session
    ADD CONSTRAINT hub_download_session_pkey PRIMARY KEY (id);


--
-- Name: hub_download_token hub_download_token_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_token
    ADD CONSTRAINT hub_download_token_pkey PRIMARY KEY (id);


--
-- Name: hub_download_token hub_download_token_token_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_token
    ADD CONSTRAINT hub_download_token_token_hash_key UNIQUE (token_hash);


--
-- Name: hub_event_delivery hub_event_delivery_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_event_delivery
    ADD CONSTRAINT hub_event_delivery_pkey PRIMARY KEY (id);


--
-- Name: hub_event hub_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_event
    ADD CONSTRAINT hub_event_pkey PRIMARY KEY (id);


--
-- Name: hub_file_transfer hub_file_transfer_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_file_transfer
    ADD CONSTRAINT hub_file_transfer_pkey PRIMARY KEY (id);


--
-- Name: hub_inbox_event hub_inbox_event_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_inbox_event
    ADD CONSTRAINT hub_inbox_event_pkey PRIMARY KEY (id);


--
-- Name: hub_instance_fact hub_instance_fact_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_instance_fact
    ADD CONSTRAINT hub_instance_fact_pkey PRIMARY KEY (name);


--
-- Name: hub_label hub_label_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_label
    ADD CONSTRAINT hub_label_pkey PRIMARY KEY (id);


--
-- Name: hub_language hub_language_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_language
    ADD CONSTRAINT hub_language_pkey PRIMARY KEY (id);


--
-- Name: hub_media_file hub_media_file_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_media_file
    ADD CONSTRAINT hub_media_file_pkey PRIMARY KEY (id);


--
-- Name: hub_membership hub_membership_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_membership
    ADD CONSTRAINT hub_membership_pkey PRIMARY KEY (id);


--
-- Name: hub_offer hub_offer_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_offer
    ADD CONSTRAINT hub_offer_pkey PRIMARY KEY (id);


--
-- Name: hub_organization hub_organization_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_organization
    ADD CONSTRAINT hub_organization_pkey PRIMARY KEY (id);


--
-- Name: hub_outbox_message hub_outbox_message_dedupe_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_outbox_message
    ADD CONSTRAINT hub_outbox_message_dedupe_key_key UNIQUE (dedupe_key);


--
-- Name: hub_outbox_message hub_outbox_message_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_outbox_message
    ADD CONSTRAINT hub_outbox_message_pkey PRIMARY KEY (id);


--
-- Name: hub_payment_reversal hub_payment_reversal_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_payment_reversal
    ADD CONSTRAINT hub_payment_reversal_pkey PRIMARY KEY (id);


--
-- Name: hub_product hub_product_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_product
    ADD CONSTRAINT hub_product_pkey PRIMARY KEY (id);


--
-- Name: hub_product_type hub_product_type_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_product_type
    ADD CONSTRAINT hub_product_type_pkey PRIMARY KEY (id);


--
-- Name: hub_purchase_payment hub_purchase_payment_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_purchase_payment
    ADD CONSTRAINT hub_purchase_payment_pkey PRIMARY KEY (id);


--
-- Name: hub_purchase hub_purchase_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_purchase
    ADD CONSTRAINT hub_purchase_pkey PRIMARY KEY (id);


--
-- Name: hub_rate_limit hub_rate_limit_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_rate_limit
    ADD CONSTRAINT hub_rate_limit_pkey PRIMARY KEY (bucket);


--
-- Name: hub_right hub_right_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_right
    ADD CONSTRAINT hub_right_pkey PRIMARY KEY (id);


--
-- Name: hub_sign_in_throttle hub_sign_in_throttle_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_sign_in_throttle
    ADD CONSTRAINT hub_sign_in_throttle_pkey PRIMARY KEY (key);


--
-- Name: hub_token_link hub_token_link_link_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_token_link
    ADD CONSTRAINT hub_token_link_link_hash_key UNIQUE (link_hash);


--
-- Name: hub_token_link hub_token_link_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_token_link
    ADD CONSTRAINT hub_token_link_pkey PRIMARY KEY (id);


--
-- Name: hub_track hub_track_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_track
    ADD CONSTRAINT hub_track_pkey PRIMARY KEY (id);


--
-- Name: hub_upload_part hub_upload_part_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_upload_part
    ADD CONSTRAINT hub_upload_part_pkey PRIMARY KEY (id);


--
-- Name: hub_version_file hub_version_file_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_version_file
    ADD CONSTRAINT hub_version_file_pkey PRIMARY KEY (id);


--
-- Name: hub_version_file hub_version_file_upload_id_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_version_file
    ADD CONSTRAINT hub_version_file_upload_id_key UNIQUE (upload_id);


--
-- Name: hub_version hub_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_version
    ADD CONSTRAINT hub_version_pkey PRIMARY KEY (id);


--
-- Name: hub_webhook_attempt hub_webhook_attempt_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_webhook_attempt
    ADD CONSTRAINT hub_webhook_attempt_pkey PRIMARY KEY (id);


--
-- Name: hub_webhook_endpoint hub_webhook_endpoint_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_webhook_endpoint
    ADD CONSTRAINT hub_webhook_endpoint_pkey PRIMARY KEY (id);


--
-- Name: migration migration_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.migration
    ADD CONSTRAINT migration_pkey PRIMARY KEY (id);


--
-- Name: hub_api_key_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_api_key_org ON public.hub_api_key USING btree (org);


--
-- Name: hub_audit_entry_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_audit_entry_created_at ON public.hub_audit_entry USING btree (created_at);


--
-- Name: hub_audit_entry_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_audit_entry_org ON public.hub_audit_entry USING btree (org);


--
-- Name: hub_buyer_sign_in_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_buyer_sign_in_created_at ON public.hub_buyer_sign_in USING btree (created_at);


--
-- Name: hub_buyer_sign_in_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_buyer_sign_in_email ON public.hub_buyer_sign_in USING btree (email);


--
-- Name: hub_buyer_sign_in_ip; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_buyer_sign_in_ip ON public.hub_buyer_sign_in USING btree (ip);


--
-- Name: hub_buyer_sign_in_state; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_buyer_sign_in_state ON public.hub_buyer_sign_in USING btree (state);


--
-- Name: hub_console_invite_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_console_invite_user_id ON public.hub_console_invite USING btree (user_id);


--
-- Name: hub_console_session_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_console_session_user_id ON public.hub_console_session USING btree (user_id);


--
-- Name: hub_download_session_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_session_org ON public.hub_download_session USING btree (org);


--
-- Name: hub_download_session_started_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_session_started_at ON public.hub_download_session USING btree (started_at);


--
-- Name: hub_download_session_token_key; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_session_token_key ON public.hub_download_session USING btree (token, session_key);


--
-- Name: hub_download_token_customer_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_token_customer_email ON public.hub_download_token USING btree (customer_email);


--
-- Name: hub_download_token_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_token_org ON public.hub_download_token USING btree (org);


--
-- Name: hub_download_token_purchase; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_token_purchase ON public.hub_download_token USING btree (purchase);


--
-- Name: hub_download_token_version; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_download_token_version ON public.hub_download_token USING btree (version);


--
-- Name: hub_event_created_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_created_at ON public.hub_event USING btree (created_at);


--
-- Name: hub_event_delivery_endpoint; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_delivery_endpoint ON public.hub_event_delivery USING btree (endpoint);


--
-- Name: hub_event_delivery_event; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_delivery_event ON public.hub_event_delivery USING btree (event);


--
-- Name: hub_event_delivery_event_target; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_event_delivery_event_target ON public.hub_event_delivery USING btree (event, target);


--
-- Name: hub_event_delivery_next_attempt_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_delivery_next_attempt_at ON public.hub_event_delivery USING btree (next_attempt_at);


--
-- Name: hub_event_delivery_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_delivery_org ON public.hub_event_delivery USING btree (org);


--
-- Name: hub_event_delivery_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_delivery_status ON public.hub_event_delivery USING btree (status);


--
-- Name: hub_event_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_event_org ON public.hub_event USING btree (org);


--
-- Name: hub_file_transfer_session; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_file_transfer_session ON public.hub_file_transfer USING btree (session);


--
-- Name: hub_inbox_event_due; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_inbox_event_due ON public.hub_inbox_event USING btree (next_attempt_at);


--
-- Name: hub_inbox_event_payment; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_inbox_event_payment ON public.hub_inbox_event USING btree (provider, payment_key);


--
-- Name: hub_inbox_event_provider_event; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_inbox_event_provider_event ON public.hub_inbox_event USING btree (provider, event_id);


--
-- Name: hub_inbox_event_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_inbox_event_status ON public.hub_inbox_event USING btree (status);


--
-- Name: hub_label_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_label_org ON public.hub_label USING btree (org);


--
-- Name: hub_language_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_language_org ON public.hub_language USING btree (org);


--
-- Name: hub_language_org_code; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_language_org_code ON public.hub_language USING btree (org, code);


--
-- Name: hub_media_file_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_media_file_org ON public.hub_media_file USING btree (org);


--
-- Name: hub_media_file_org_directory_filename; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_media_file_org_directory_filename ON public.hub_media_file USING btree (org, directory, filename);


--
-- Name: hub_membership_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_membership_org ON public.hub_membership USING btree (org);


--
-- Name: hub_membership_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_membership_user_id ON public.hub_membership USING btree (user_id);


--
-- Name: hub_membership_user_org; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_membership_user_org ON public.hub_membership USING btree (user_id, org);


--
-- Name: hub_offer_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_offer_org ON public.hub_offer USING btree (org);


--
-- Name: hub_outbox_message_next_attempt_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_outbox_message_next_attempt_at ON public.hub_outbox_message USING btree (next_attempt_at);


--
-- Name: hub_outbox_message_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_outbox_message_org ON public.hub_outbox_message USING btree (org);


--
-- Name: hub_outbox_message_status; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_outbox_message_status ON public.hub_outbox_message USING btree (status);


--
-- Name: hub_payment_reversal_unique; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_payment_reversal_unique ON public.hub_payment_reversal USING btree (org, provider, payment_ref, kind, reference);


--
-- Name: hub_product_label; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_product_label ON public.hub_product USING btree (label);


--
-- Name: hub_product_org_slug; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_product_org_slug ON public.hub_product USING btree (org, slug);


--
-- Name: hub_product_type_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_product_type_org ON public.hub_product_type USING btree (org);


--
-- Name: hub_product_upc_code; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_product_upc_code ON public.hub_product USING btree (upc_code);


--
-- Name: hub_purchase_customer_email; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_purchase_customer_email ON public.hub_purchase USING btree (customer_email);


--
-- Name: hub_purchase_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_purchase_org ON public.hub_purchase USING btree (org);


--
-- Name: hub_purchase_org_provider_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_purchase_org_provider_ref ON public.hub_purchase USING btree (org, provider, provider_ref);


--
-- Name: hub_purchase_payment_purchase; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_purchase_payment_purchase ON public.hub_purchase_payment USING btree (purchase);


--
-- Name: hub_purchase_payment_ref; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_purchase_payment_ref ON public.hub_purchase_payment USING btree (org, provider, payment_ref);


--
-- Name: hub_rate_limit_window_ends; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_rate_limit_window_ends ON public.hub_rate_limit USING btree (window_ends);


--
-- Name: hub_right_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_right_org ON public.hub_right USING btree (org);


--
-- Name: hub_track_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_track_org ON public.hub_track USING btree (org);


--
-- Name: hub_upload_part_file_upload_part; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_upload_part_file_upload_part ON public.hub_upload_part USING btree (file, upload_id, part_number);


--
-- Name: hub_version_file_version; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_version_file_version ON public.hub_version_file USING btree (version);


--
-- Name: hub_version_file_version_path; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_version_file_version_path ON public.hub_version_file USING btree (version, path);


--
-- Name: hub_version_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_version_org ON public.hub_version USING btree (org);


--
-- Name: hub_version_product_version; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX hub_version_product_version ON public.hub_version USING btree (product, version);


--
-- Name: hub_webhook_attempt_delivery; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_webhook_attempt_delivery ON public.hub_webhook_attempt USING btree (delivery);


--
-- Name: hub_webhook_attempt_endpoint; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_webhook_attempt_endpoint ON public.hub_webhook_attempt USING btree (endpoint);


--
-- Name: hub_webhook_endpoint_org; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX hub_webhook_endpoint_org ON public.hub_webhook_endpoint USING btree (org);


--
-- Name: hub_download_session hub_download_session_token_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_session
    ADD CONSTRAINT hub_download_session_token_fkey FOREIGN KEY (token) REFERENCES public.hub_download_token(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_download_token hub_download_token_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_token
    ADD CONSTRAINT hub_download_token_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_download_token hub_download_token_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_download_token
    ADD CONSTRAINT hub_download_token_version_fkey FOREIGN KEY (version) REFERENCES public.hub_version(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_file_transfer hub_file_transfer_session_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_file_transfer
    ADD CONSTRAINT hub_file_transfer_session_fkey FOREIGN KEY (session) REFERENCES public.hub_download_session(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_media_file hub_media_file_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_media_file
    ADD CONSTRAINT hub_media_file_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_offer hub_offer_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_offer
    ADD CONSTRAINT hub_offer_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_right hub_right_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_right
    ADD CONSTRAINT hub_right_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_token_link hub_token_link_token_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_token_link
    ADD CONSTRAINT hub_token_link_token_fkey FOREIGN KEY (token) REFERENCES public.hub_download_token(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_track hub_track_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_track
    ADD CONSTRAINT hub_track_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_upload_part hub_upload_part_file_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_upload_part
    ADD CONSTRAINT hub_upload_part_file_fkey FOREIGN KEY (file) REFERENCES public.hub_version_file(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_version_file hub_version_file_version_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_version_file
    ADD CONSTRAINT hub_version_file_version_fkey FOREIGN KEY (version) REFERENCES public.hub_version(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- Name: hub_version hub_version_product_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.hub_version
    ADD CONSTRAINT hub_version_product_fkey FOREIGN KEY (product) REFERENCES public.hub_product(id) ON UPDATE CASCADE ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


