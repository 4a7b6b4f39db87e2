-- One database per service (architecture.md "Storage"); run once, when the volume is new.
CREATE DATABASE registers;
CREATE DATABASE alerts;
CREATE DATABASE casework;
CREATE DATABASE notifications;
