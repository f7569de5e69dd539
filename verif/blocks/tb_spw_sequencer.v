// SPDX-License-Identifier: Apache-2.0
// Bench wrapper: spw_sequencer with its IMem and WMem, the drain handshake left to cocotb.
`timescale 1ns / 1ps
`default_nettype none

// tb_spw_sequencer
//
// The sequencer reads programs from a real IMem and weight words from a real
// WMem (both spw_sram_1p, loaded through their arrays by the bench), so the
// fetch and the weight delay line are exercised as in spw_top.  The drain
// side is open: cap_ok_i and drain_quiet_i are driven by cocotb, either by a
// cycle-exact model of spw_drain (then the counters must equal the cycle
// model) or randomly (any pattern a drain may produce).  mon_o packs the
// per-cycle flags so the bench reads one signal per cycle and the wide
// buses only in the cycles that carry an event.

`include "spw_defs.vh"

module tb_spw_sequencer #(
    // MAC array rows = pixel lanes per AMem word
    parameter ROWS = 8,
    // MAC array columns = output channels per WMem word
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096
) (
    input  wire                 clk_i,
    input  wire                 rst_ni,
    input  wire                 start_i,
    input  wire [15:0]          start_pc_i,
    input  wire                 cap_ok_i,
    input  wire                 drain_quiet_i,

    // {done, busy, cap, mac_last, mac_first, mac_step, al_valid, wmem_req,
    //  even_re, odd_re, lo_ok, hi_ok, swap}
    output wire [12:0]          mon_o,
    output wire [3:0]           err_code_o,
    output wire [15:0]          err_pc_o,
    output wire [31:0]          perf_cycles_o,
    output wire [31:0]          perf_mac_busy_o,
    output wire [31:0]          perf_skipped_o,
    output wire [31:0]          perf_stall_o,
    output wire [$clog2(WDEPTH)-1:0] wmem_addr_o,
    output wire [$clog2(ADEPTH)-2:0] amem_even_raddr_o,
    output wire [$clog2(ADEPTH)-2:0] amem_odd_raddr_o,
    output wire [$clog2(ROWS)-1:0]   al_off_o,
    output wire [ROWS-1:0]      al_mask_o,
    output wire [COLS*4-1:0]    mac_w_o,
    output wire [`SPW_TILE_W-1:0] cap_tile_o,
    output wire [15:0]          cap_oaddr_o,
    output wire [6:0]           cap_ncols_o,
    output wire [COLS*15-1:0]   cap_bias_o,
    output wire [15:0]          ostride_o,
    output wire                 acc_mode_o,
    output wire [15:0]          scale_o,
    output wire [4:0]           shift_o,
    output wire [19:0]          hw_o,
    output wire [`SPW_TILE_W-1:0] tiles_o,
    output wire [ROWS-1:0]      cap_keep_o,
    output wire                 stride2_o,
    output wire [19:0]          howo_o
);
    localparam IAW = $clog2(IDEPTH);

    wire           busy, done, imem_req, wmem_req, even_re, odd_re;
    wire           al_en, al_valid, al_swap, al_lo_ok, al_hi_ok;
    wire           mac_step, mac_first, mac_last, cap;
    wire [IAW-1:0] imem_addr;
    wire [63:0]    imem_rdata;
    wire [COLS*4-1:0] wmem_rdata;

    spw_sequencer #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH)
    ) u_seq (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .start_i(start_i), .start_pc_i(start_pc_i), .busy_o(busy), .done_o(done),
        .err_code_o(err_code_o), .err_pc_o(err_pc_o),
        .perf_cycles_o(perf_cycles_o), .perf_mac_busy_o(perf_mac_busy_o),
        .perf_skipped_o(perf_skipped_o), .perf_stall_o(perf_stall_o),
        .imem_req_o(imem_req), .imem_addr_o(imem_addr), .imem_rdata_i(imem_rdata),
        .wmem_req_o(wmem_req), .wmem_addr_o(wmem_addr_o), .wmem_rdata_i(wmem_rdata), .mac_w_o(mac_w_o),
        .amem_even_re_o(even_re), .amem_even_raddr_o(amem_even_raddr_o),
        .amem_odd_re_o(odd_re), .amem_odd_raddr_o(amem_odd_raddr_o),
        .al_en_o(al_en), .al_valid_o(al_valid), .al_swap_o(al_swap), .al_lo_ok_o(al_lo_ok),
        .al_hi_ok_o(al_hi_ok), .al_off_o(al_off_o), .al_mask_o(al_mask_o),
        .mac_step_o(mac_step), .mac_first_o(mac_first), .mac_last_o(mac_last),
        .cap_o(cap), .cap_tile_o(cap_tile_o), .cap_oaddr_o(cap_oaddr_o), .cap_ncols_o(cap_ncols_o),
        .cap_bias_o(cap_bias_o), .ostride_o(ostride_o), .acc_mode_o(acc_mode_o), .scale_o(scale_o),
        .shift_o(shift_o), .hw_o(hw_o), .tiles_o(tiles_o),
        .cap_keep_o(cap_keep_o), .stride2_o(stride2_o), .howo_o(howo_o),
        .cap_ok_i(cap_ok_i), .drain_quiet_i(drain_quiet_i)
    );

    spw_sram_1p #(.WIDTH(64), .DEPTH(IDEPTH)) u_imem (
        .clk_i(clk_i), .req_i(imem_req), .we_i(1'b0), .addr_i(imem_addr),
        .wdata_i(64'd0), .wmask_i(64'd0), .rdata_o(imem_rdata)
    );

    spw_sram_1p #(.WIDTH(COLS*4), .DEPTH(WDEPTH)) u_wmem (
        .clk_i(clk_i), .req_i(wmem_req), .we_i(1'b0), .addr_i(wmem_addr_o),
        .wdata_i({COLS*4{1'b0}}), .wmask_i({COLS*4{1'b0}}), .rdata_o(wmem_rdata)
    );

    // al_swap_o only matters when a bank word is read (it is X before the first fetch)
    assign mon_o = {done, busy, cap, mac_last, mac_first, mac_step, al_valid, wmem_req,
                    even_re, odd_re, al_lo_ok, al_hi_ok, al_swap & (al_lo_ok | al_hi_ok)};

    // al_en_o is !stall: the bench sees the stall through mac_step / al_valid.
    wire unused_en = al_en;
endmodule

`default_nettype wire
